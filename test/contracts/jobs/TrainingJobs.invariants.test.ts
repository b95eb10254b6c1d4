import { expect } from "chai";
import fc from "fast-check";
import { fuzzInvariant } from "../helpers/fuzz.js";
import { anchorRounds, createJob, enrolDatasets, payoutTree, randomAddress } from "../helpers/jobs.js";
import { BPS, DAY, ethers, increaseTime, loadSystem } from "../helpers/system.js";

const FEE_BPS = 250n;

interface JobPlan {
  reward: bigint;
  /** Payout amounts per trainer; empty means the job is cancelled before its first round. */
  payouts: bigint[];
  /** Fraction (in per mille) of the room left after the payout that stays unallocated. */
  slack: number;
}

type Step = { kind: "claim"; job: number; trainer: number } | { kind: "reclaim"; job: number } | { kind: "wait" };

const plan: fc.Arbitrary<JobPlan> = fc.record({
  reward: fc.bigInt({ min: 1n, max: 3n * 10n ** 23n }),
  payouts: fc.array(fc.bigInt({ min: 0n, max: 1_000n }), { minLength: 0, maxLength: 5 }),
  slack: fc.integer({ min: 0, max: 1_000 }),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("claim" as const), job: fc.nat(2), trainer: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reclaim" as const), job: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("wait" as const) }) },
);

describe("TrainingJobs invariants (fuzzed)", () => {
  it("for every job claimed + refunded + fees == escrowed, and no address is paid twice", async () => {
    await fuzzInvariant(
      "escrow conservation over 3 concurrent jobs",
      fc
        .tuple(fc.array(plan, { minLength: 3, maxLength: 3 }), fc.array(step, { maxLength: 16 }))
        .map(([p, s]) => [{ plans: p, steps: s }]),
      async ([scenario]) => {
        if (scenario === undefined) return 0;
        const system = await loadSystem();
        const { jobs, usdc, researcher, coordinator } = system;
        await enrolDatasets(system);
        let txs = 0;
        const live = [];
        for (const { reward: seed, payouts, slack } of scenario.plans) {
          // Scale the drawn payouts so that payout + fee fits the escrow, leaving `slack` of the rest unallocated.
          const weights = payouts.map((w) => w + 1n);
          const weightSum = weights.reduce((a, b) => a + b, 0n);
          const reward = seed + weightSum;
          const budget = (reward * BPS) / (BPS + FEE_BPS);
          const target = budget - (budget * BigInt(slack)) / 1_000n;
          const amounts = weights.map((w) => (target * w) / weightSum);
          const total = amounts.reduce((a, b) => a + b, 0n);
          const jobId = await createJob(system, { reward, rounds: 2 });
          txs += 2;
          if (payouts.length === 0 || total === 0n) {
            await jobs.connect(researcher).cancelJob(jobId);
            live.push({ jobId, leaves: [], tree: undefined, paid: new Set<string>() });
            continue;
          }
          await anchorRounds(system, jobId, 1 + (slack % 2));
          const leaves = amounts.map((amount) => ({ trainer: randomAddress(), amount }));
          const tree = payoutTree(leaves);
          await jobs.connect(coordinator).finalizeJob(jobId, tree.root, total);
          txs += 3;
          live.push({ jobId, leaves, tree, paid: new Set<string>() });
        }

        for (const action of scenario.steps) {
          if (action.kind === "wait") {
            await increaseTime(11n * DAY);
            continue;
          }
          const job = live[action.job];
          if (job === undefined) continue;
          txs += 1;
          if (action.kind === "reclaim") {
            const due = await jobs.reclaimable(job.jobId);
            if (due === 0n) {
              await expect(jobs.connect(researcher).reclaim(job.jobId)).to.revert(ethers);
            } else {
              await jobs.connect(researcher).reclaim(job.jobId);
            }
            continue;
          }
          const index = action.trainer % Math.max(job.leaves.length, 1);
          const leaf = job.leaves[index];
          if (leaf === undefined || job.tree === undefined) continue;
          const open =
            (await jobs.getJob(job.jobId)).claimDeadline >=
            BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 1n;
          const claim = jobs.claim(job.jobId, leaf.trainer, leaf.amount, job.tree.proof(index));
          // The contract checks the claim window before the claimed flag: a late second claim is "period over".
          if (!open) {
            await expect(claim).to.be.revertedWithCustomError(jobs, "TrainingJobsClaimPeriodOver");
          } else if (job.paid.has(leaf.trainer)) {
            await expect(claim).to.be.revertedWithCustomError(jobs, "TrainingJobsAlreadyClaimed");
          } else {
            await expect(claim).to.changeTokenBalance(ethers, usdc, leaf.trainer, leaf.amount);
            job.paid.add(leaf.trainer);
          }
        }

        // Close everything: after the claim deadline the researcher takes the rest.
        await increaseTime(31n * DAY);
        let held = 0n;
        for (const job of live) {
          if ((await jobs.reclaimable(job.jobId)) > 0n) {
            await jobs.connect(researcher).reclaim(job.jobId);
            txs += 1;
          }
          const state = await jobs.getJob(job.jobId);
          expect(state.claimed + state.refunded + state.fee).to.equal(state.escrow);
          expect(state.claimed).to.equal(
            job.leaves.filter((l) => job.paid.has(l.trainer)).reduce((a, l) => a + l.amount, 0n),
          );
          held += state.escrow - state.claimed - state.refunded - state.fee;
        }
        expect(await usdc.balanceOf(jobs)).to.equal(held);
        expect(held).to.equal(0n);
        return txs;
      },
      25,
    );
  });
});
