import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobLedger, PayoutProof, TrainInstruction } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES } from "../../test-support/databases.js";
import {
  connectTrainers,
  createOnChainJob,
  delta,
  EXAMPLES,
  evaluate,
  intentsSettled,
  REWARD,
  startChainCoordinator,
} from "../../test-support/on-chain-job.js";
import { ok } from "../../test-support/rest.js";

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

describe("a trainer inflating numExamples (issue 12, item 2)", () => {
  it("is refused above its dataset's committed record count, and takes no more than its committed share of the escrow", async () => {
    const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    const sender = await chain.fundedWallet();
    const coordinator = await startChainCoordinator(chain, db, sender);
    const connected: { close(): void }[] = [];
    try {
      // Three owners with 100, 300 and 600 committed records; `examples` scoring (the JobSpec default); one round.
      const { owners, datasets, jobId } = await createOnChainJob(chain, coordinator, sender, 1);
      const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
      connected.push(...trainers);
      const instructions = await Promise.all(trainers.map(async (trainer) => (await trainer.next()).instruction));
      const [attacker] = trainers;
      if (attacker === undefined) throw new Error("no trainers");

      // The attack of the issue: 2,147,483,647 examples next to honest trainers.
      const claimed = await attacker.submit(instructions[0] as TrainInstruction, delta(1), 2_147_483_647);
      expect(claimed).toEqual({
        ok: false,
        code: "UPDATE_REJECTED",
        message: `update rejected (too-many-examples): numExamples 2147483647 exceeds the 100 examples dataset ${datasets[0]} can have trained on (its committed record count is 100)`,
      });
      // One example more than committed is refused too; the truth is accepted.
      const oneMore = await attacker.submit(instructions[0] as TrainInstruction, delta(1), 101);
      expect(oneMore).toMatchObject({ ok: false, code: "UPDATE_REJECTED" });
      for (const [index, trainer] of trainers.entries()) {
        const ack = await trainer.submit(
          instructions[index] as TrainInstruction,
          delta(1 + index),
          EXAMPLES[index] as number,
        );
        expect(ack).toEqual({ ok: true, accepted: true });
      }
      await evaluate(trainers, 0);
      await intentsSettled(coordinator, 3); // the acceptance, the anchor and the finalisation

      const ledger = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
      const address = attacker.address;
      const leaf = ledger.rounds[0]?.leaves.find((candidate) => candidate.trainer === address);
      expect(leaf?.numExamples).toBe("100");
      // Its score is its committed share of the round's examples: 100 / 1000.
      expect(Number(BigInt(leaf?.score ?? "0")) / 1e18).toBeCloseTo(0.1, 12);

      // Its payout, worked by hand: budget B = the largest B with B + ⌊B · feeBps / 10 000⌋ ≤ escrow; each dataset
      // gets its floor (pricePerRound 5 TRIB × 1 round), and the rest is split by score: 5 + (B − 15) · 0.1 TRIB.
      const feeBps = BigInt(ledger.feeBps);
      let budget = (REWARD * 10_000n) / (10_000n + feeBps);
      while (budget + 1n + ((budget + 1n) * feeBps) / 10_000n <= REWARD) budget += 1n;
      const floor = 5n * 10n ** 18n;
      const expected = floor + (budget - 3n * floor) / 10n;
      const proof = await ok<PayoutProof>(coordinator.url, "GET", `/ledger/jobs/${jobId}/proof/${address}`);
      const error = BigInt(proof.amount) - expected;
      expect(error < 0n ? -error : error).toBeLessThan(budget / 10n ** 15n);
      // Before the fix it took 975.6 TRIB of the 1,000.
      expect(BigInt(proof.amount)).toBeLessThan(105n * 10n ** 18n);
    } finally {
      for (const trainer of connected) trainer.close();
      await coordinator.close();
      await db.cleanup();
    }
  }, 120_000);
});
