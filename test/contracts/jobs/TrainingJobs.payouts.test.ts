import { expect } from "chai";
import {
  anchoredJob,
  anchorRounds,
  CLAIM_PERIOD,
  createJob,
  finalizedJob,
  payoutTree,
  randomAddress,
  STALE,
  JobStatus as Status,
  withDatasets,
} from "../helpers/jobs.js";
import { ethers, increaseTime, latestTime, units } from "../helpers/system.js";

describe("TrainingJobs payouts: claim, reclaim, cancel", () => {
  describe("claim", () => {
    it("pays each contributor its leaf once, whoever submits, and emits Claimed", async () => {
      const { jobs, usdc, stranger, jobId, leaves, tree } = await finalizedJob();
      for (const [index, leaf] of leaves.entries()) {
        const tx = jobs.connect(stranger).claim(jobId, leaf.trainer, leaf.amount, tree.proof(index));
        await expect(tx).to.emit(jobs, "Claimed").withArgs(jobId, leaf.trainer, leaf.amount);
        await expect(tx).to.changeTokenBalances(ethers, usdc, [jobs, leaf.trainer], [-leaf.amount, leaf.amount]);
        expect(await jobs.isClaimed(jobId, leaf.trainer)).to.equal(true);
      }
      expect((await jobs.getJob(jobId)).claimed).to.equal(units(600));
    });

    it("refuses a second claim with TrainingJobsAlreadyClaimed", async () => {
      const { jobs, jobId, leaves, tree } = await finalizedJob();
      const leaf = leaves[0] ?? leaves[1];
      if (leaf === undefined) throw new Error("no leaf");
      await jobs.claim(jobId, leaf.trainer, leaf.amount, tree.proof(0));
      await expect(jobs.claim(jobId, leaf.trainer, leaf.amount, tree.proof(0)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsAlreadyClaimed")
        .withArgs(jobId, leaf.trainer);
    });

    it("rejects forged proofs: another amount, another trainer, another leaf's proof, an empty proof", async () => {
      const { jobs, jobId, leaves, tree } = await finalizedJob();
      const [first, second] = leaves;
      if (first === undefined || second === undefined) throw new Error("no leaves");
      const thief = randomAddress();
      const attempts: [string, bigint, string[]][] = [
        [first.trainer, first.amount + 1n, tree.proof(0)],
        [thief, first.amount, tree.proof(0)],
        [first.trainer, first.amount, tree.proof(1)],
        [second.trainer, second.amount, []],
      ];
      for (const [trainer, amount, proof] of attempts) {
        await expect(jobs.claim(jobId, trainer, amount, proof))
          .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidProof")
          .withArgs(jobId, trainer, amount);
      }
    });

    it("rejects a proof from another job's payout tree", async () => {
      const system = await finalizedJob();
      const { jobs, coordinator, leaves, tree, jobId } = system;
      const other = await createJob(system);
      await anchorRounds(system, other, 1);
      const otherTree = payoutTree([{ trainer: randomAddress(), amount: units(10) }]);
      await jobs.connect(coordinator).finalizeJob(other, otherTree.root, units(10));
      const leaf = leaves[0];
      if (leaf === undefined) throw new Error("no leaf");
      await expect(jobs.claim(other, leaf.trainer, leaf.amount, tree.proof(0)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidProof")
        .withArgs(other, leaf.trainer, leaf.amount);
      expect(await jobs.isClaimed(jobId, leaf.trainer)).to.equal(false);
    });

    it("caps claims at the payout total even if the coordinator's tree sums to more", async () => {
      const system = await anchoredJob();
      const { jobs, coordinator, jobId } = system;
      const leaves = [
        { trainer: randomAddress(), amount: units(400) },
        { trainer: randomAddress(), amount: units(400) },
      ];
      const tree = payoutTree(leaves);
      await jobs.connect(coordinator).finalizeJob(jobId, tree.root, units(500));
      await jobs.claim(jobId, leaves[0]?.trainer ?? "", units(400), tree.proof(0));
      await expect(jobs.claim(jobId, leaves[1]?.trainer ?? "", units(400), tree.proof(1)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsClaimExceedsPayout")
        .withArgs(jobId, units(800), units(500));
    });

    it("closes at the claim deadline and before finalisation", async () => {
      const system = await anchoredJob();
      const { jobs, coordinator, jobId, leaves, tree, total } = system;
      const leaf = leaves[0];
      if (leaf === undefined) throw new Error("no leaf");
      await expect(jobs.claim(jobId, leaf.trainer, leaf.amount, tree.proof(0)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Running);
      await jobs.connect(coordinator).finalizeJob(jobId, tree.root, total);
      const deadline = (await jobs.getJob(jobId)).claimDeadline;
      await increaseTime(CLAIM_PERIOD + 1n);
      await expect(jobs.claim(jobId, leaf.trainer, leaf.amount, tree.proof(0)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsClaimPeriodOver")
        .withArgs(jobId, deadline);
    });
  });

  describe("reclaim", () => {
    it("returns the unallocated escrow at once, and the unclaimed rest after the deadline", async () => {
      const { jobs, usdc, researcher, jobId, leaves, tree, total, fee } = await finalizedJob();
      const unallocated = units(1_000) - total - fee;
      expect(await jobs.reclaimable(jobId)).to.equal(unallocated);
      const first = jobs.connect(researcher).reclaim(jobId);
      await expect(first).to.emit(jobs, "Reclaimed").withArgs(jobId, researcher.address, unallocated);
      await expect(first).to.changeTokenBalances(ethers, usdc, [jobs, researcher], [-unallocated, unallocated]);
      await expect(jobs.connect(researcher).reclaim(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNothingToReclaim")
        .withArgs(jobId);

      const leaf = leaves[0];
      if (leaf === undefined) throw new Error("no leaf");
      await jobs.claim(jobId, leaf.trainer, leaf.amount, tree.proof(0));
      await increaseTime(CLAIM_PERIOD + 1n);
      const unclaimed = total - leaf.amount;
      expect(await jobs.reclaimable(jobId)).to.equal(unclaimed);
      await expect(jobs.connect(researcher).reclaim(jobId))
        .to.emit(jobs, "Reclaimed")
        .withArgs(jobId, researcher.address, unclaimed);
      const job = await jobs.getJob(jobId);
      expect(job.claimed + job.refunded + job.fee).to.equal(job.escrow);
      expect(await usdc.balanceOf(jobs)).to.equal(0n);
    });

    it("is researcher-only and needs a finalised job", async () => {
      const system = await anchoredJob();
      const { jobs, researcher, stranger, jobId } = system;
      await expect(jobs.connect(researcher).reclaim(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Running);
      await expect(jobs.connect(stranger).reclaim(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotResearcher")
        .withArgs(jobId, stranger.address);
      expect(await jobs.reclaimable(jobId)).to.equal(0n);
    });
  });

  describe("cancelJob", () => {
    it("refunds the whole escrow before the first round and emits JobCancelled", async () => {
      const system = await withDatasets();
      const { jobs, usdc, researcher, coordinator } = system;
      const jobId = await createJob(system);
      const tx = jobs.connect(researcher).cancelJob(jobId);
      await expect(tx).to.emit(jobs, "JobCancelled").withArgs(jobId, units(1_000));
      await expect(tx).to.changeTokenBalances(ethers, usdc, [jobs, researcher], [-units(1_000), units(1_000)]);
      expect((await jobs.getJob(jobId)).status).to.equal(Status.Cancelled);
      await expect(jobs.connect(coordinator).anchorRound(jobId, 1n, ethers.id("r"), ethers.id("m")))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Cancelled);
    });

    it("refuses a running job until it has been stale for staleJobTimeout", async () => {
      const system = await withDatasets();
      const { jobs, researcher } = system;
      const jobId = await createJob(system);
      await anchorRounds(system, jobId, 1);
      const staleAt = (await latestTime()) + STALE;
      await expect(jobs.connect(researcher).cancelJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCancellable")
        .withArgs(jobId, staleAt);
      await increaseTime(STALE);
      await expect(jobs.connect(researcher).cancelJob(jobId))
        .to.emit(jobs, "JobCancelled")
        .withArgs(jobId, units(1_000));
    });

    it("is researcher-only and impossible once finalised or cancelled", async () => {
      const { jobs, researcher, stranger, jobId } = await finalizedJob();
      await expect(jobs.connect(stranger).cancelJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotResearcher")
        .withArgs(jobId, stranger.address);
      await expect(jobs.connect(researcher).cancelJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Finalized);
    });
  });

  describe("reentrancy on every payout", () => {
    async function evilJob() {
      const system = await withDatasets();
      const evil = await ethers.deployContract("ReentrantToken");
      await evil.mint(system.researcher.address, units(1_000));
      const jobId = await createJob(system, { paymentToken: evil.target });
      return { ...system, evil, jobId };
    }

    it("claim cannot be re-entered", async () => {
      const system = await evilJob();
      const { jobs, coordinator, evil, jobId } = system;
      await anchorRounds(system, jobId, 1);
      const leaves = [
        { trainer: randomAddress(), amount: units(100) },
        { trainer: randomAddress(), amount: units(100) },
      ];
      const tree = payoutTree(leaves);
      await jobs.connect(coordinator).finalizeJob(jobId, tree.root, units(200));
      const [a, b] = leaves.map((l) => l.trainer);
      if (a === undefined || b === undefined) throw new Error("no leaves");
      await evil.arm(jobs, jobs.interface.encodeFunctionData("claim", [jobId, b, units(100), tree.proof(1)]));
      await expect(jobs.claim(jobId, a, units(100), tree.proof(0))).to.be.revertedWithCustomError(
        jobs,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("reclaim and cancelJob cannot be re-entered", async () => {
      const system = await evilJob();
      const { jobs, researcher, evil, jobId } = system;
      await evil.arm(jobs, jobs.interface.encodeFunctionData("cancelJob", [jobId]));
      await expect(jobs.connect(researcher).cancelJob(jobId)).to.be.revertedWithCustomError(
        jobs,
        "ReentrancyGuardReentrantCall",
      );
      await evil.arm(ethers.ZeroAddress, "0x");
      await anchorRounds(system, jobId, 1);
      const tree = payoutTree([{ trainer: randomAddress(), amount: units(1) }]);
      await jobs.connect(system.coordinator).finalizeJob(jobId, tree.root, units(1));
      await evil.arm(jobs, jobs.interface.encodeFunctionData("reclaim", [jobId]));
      await expect(jobs.connect(researcher).reclaim(jobId)).to.be.revertedWithCustomError(
        jobs,
        "ReentrancyGuardReentrantCall",
      );
    });
  });
});
