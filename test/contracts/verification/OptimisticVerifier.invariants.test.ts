import { AssertionError, expect } from "chai";
import fc from "fast-check";
import { fuzzInvariant } from "../helpers/fuzz.js";
import { DAY, ethers, increaseTime } from "../helpers/system.js";
import { INPUT, PAYMENT, proofFor, RESPONSE, TaskStatus, verifierFixture, WRONG } from "../helpers/verifier.js";

type Step =
  | { kind: "submit"; task: number }
  | { kind: "dispute"; task: number }
  | { kind: "finalize"; task: number }
  | { kind: "vote"; task: number; member: number; providerCorrect: boolean }
  | { kind: "prove"; task: number; providerRight: boolean }
  | { kind: "timeout"; task: number }
  | { kind: "wait"; seconds: bigint };

const task = fc.nat(2);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("submit" as const), task }),
  fc.record({ kind: fc.constant("dispute" as const), task }),
  fc.record({ kind: fc.constant("finalize" as const), task }),
  fc.record({ kind: fc.constant("vote" as const), task, member: fc.nat(2), providerCorrect: fc.boolean() }),
  fc.record({ kind: fc.constant("prove" as const), task, providerRight: fc.boolean() }),
  fc.record({ kind: fc.constant("timeout" as const), task }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.bigInt({ min: 1n, max: 2n * DAY }) }),
);

describe("OptimisticVerifier invariants (fuzzed)", () => {
  it("a finalised task never changes again and cannot be disputed; escrow is always covered", async () => {
    await fuzzInvariant(
      "finalised tasks are final",
      fc.array(step, { minLength: 1, maxLength: 18 }),
      async (steps) => {
        const f = await verifierFixture();
        const { verifier, usdc, token, buyer, provider, challenger, members, gov, stranger } = f;
        // Task 3 is resolved by proof, tasks 1 and 2 by the committee.
        const zk = await ethers.deployContract("MockProofVerifier");
        for (let i = 0; i < 3; i++) await verifier.connect(buyer).createTask(1n, INPUT, usdc, PAYMENT);
        const finalOutcome = new Map<bigint, bigint>();
        let txs = 3;
        for (const s of steps) {
          if (s.kind === "wait") {
            await increaseTime(s.seconds);
            continue;
          }
          const id = BigInt(s.task + 1);
          txs += 1;
          if (s.kind === "dispute") {
            // The resolution mode is fixed when a dispute opens: task 3 by proof, tasks 1 and 2 by the committee.
            await verifier.connect(gov).setProofVerifier(1n, id === 3n ? zk : ethers.ZeroAddress);
          }
          const attempt =
            s.kind === "submit"
              ? verifier.connect(provider).submitResult(id, RESPONSE)
              : s.kind === "dispute"
                ? verifier.connect(challenger).dispute(id, WRONG)
                : s.kind === "finalize"
                  ? verifier.connect(stranger).finalizeTask(id)
                  : s.kind === "vote"
                    ? verifier.connect(members[s.member] ?? members[0]).vote(id, s.providerCorrect)
                    : s.kind === "prove"
                      ? verifier.resolveWithProof(
                          id,
                          s.providerRight ? RESPONSE : WRONG,
                          proofFor(s.providerRight ? RESPONSE : WRONG),
                        )
                      : verifier.resolveTimeout(id);
          const wasFinal = finalOutcome.has(id);
          try {
            await (await attempt).wait();
            expect(wasFinal, `${s.kind} succeeded on finalised task ${id}`).to.equal(false);
          } catch (error) {
            if (error instanceof AssertionError) throw error;
          }
          for (const [known, outcome] of finalOutcome) {
            const t = await verifier.getTask(known);
            expect([t.status, t.outcome]).to.deep.equal([TaskStatus.Finalized, outcome]);
            await expect(verifier.connect(challenger).dispute(known, WRONG))
              .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidStatus")
              .withArgs(known, TaskStatus.Finalized);
          }
          for (const known of [1n, 2n, 3n]) {
            const t = await verifier.getTask(known);
            if (t.status === TaskStatus.Finalized && !finalOutcome.has(known)) finalOutcome.set(known, t.outcome);
          }
          // Conservation: the verifier holds every open payment plus everything credited and not withdrawn.
          let open = 0n;
          let bonds = 0n;
          for (const known of [1n, 2n, 3n]) {
            const t = await verifier.getTask(known);
            if (t.status !== TaskStatus.Finalized && t.status !== TaskStatus.Cancelled) open += t.payment;
            if (t.status === TaskStatus.Disputed) bonds += t.bond;
          }
          const owedUsdc = (await verifier.owed(provider.address, usdc)) + (await verifier.owed(buyer.address, usdc));
          const owedTrib =
            (await verifier.owed(provider.address, token)) + (await verifier.owed(challenger.address, token));
          expect(await usdc.balanceOf(verifier)).to.equal(open + owedUsdc);
          expect(await token.balanceOf(verifier)).to.equal(bonds + owedTrib);
        }
        return txs;
      },
      25,
    );
  });
});
