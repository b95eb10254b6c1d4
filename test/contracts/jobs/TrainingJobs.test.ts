import { expect } from "chai";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import {
  anchoredJob,
  anchorRounds,
  CLAIM_PERIOD,
  createJob,
  FEE_BPS,
  finalizedJob,
  jobParams,
  roundRoot,
  SPEC_HASH,
  STALE,
  JobStatus as Status,
  withDatasets,
} from "../helpers/jobs.js";
import { BPS, DAY, ethers, latestTime, loadSystem, type System, units } from "../helpers/system.js";

describe("TrainingJobs", () => {
  it("exposes its registry, treasury, parameters and fee bound", async () => {
    const { jobs, datasets, treasury } = await loadSystem();
    expect(await jobs.datasetRegistry()).to.equal(await datasets.getAddress());
    expect(await jobs.treasury()).to.equal(await treasury.getAddress());
    expect(await jobs.parameters()).to.deep.equal([FEE_BPS, CLAIM_PERIOD, STALE]);
    expect(await jobs.MAX_FEE_BPS()).to.equal(1_000n);
    expect(await jobs.jobCount()).to.equal(0n);
  });

  describe("createJob", () => {
    it("escrows the reward and emits JobCreated with every job parameter", async () => {
      const system = await withDatasets();
      const { jobs, usdc, researcher, coordinator } = system;
      const params = jobParams(system);
      await usdc.connect(researcher).approve(jobs, params.reward);
      const tx = jobs.connect(researcher).createJob(params);
      await expect(tx)
        .to.emit(jobs, "JobCreated")
        .withArgs(
          1n,
          researcher.address,
          coordinator.address,
          await usdc.getAddress(),
          SPEC_HASH,
          [1n, 2n],
          3n,
          units(1_000),
          FEE_BPS,
          STALE,
        );
      await expect(tx).to.changeTokenBalances(ethers, usdc, [researcher, jobs], [-units(1_000), units(1_000)]);
      const job = await jobs.getJob(1n);
      expect(job.researcher).to.equal(researcher.address);
      expect(job.coordinator).to.equal(coordinator.address);
      expect(job.status).to.equal(Status.Open);
      expect(job.rounds).to.equal(3n);
      expect(job.escrow).to.equal(units(1_000));
      expect(job.feeBps).to.equal(FEE_BPS);
      expect(job.modelSpecHash).to.equal(SPEC_HASH);
      expect(job.lastActivityAt).to.equal(await latestTime());
      expect(await jobs.getJobDatasets(1n)).to.deep.equal([1n, 2n]);
      expect(await jobs.jobCount()).to.equal(1n);
    });

    it("rejects zero rounds, no datasets, a bad reward, coordinator or token", async () => {
      const system = await withDatasets();
      const { jobs, researcher } = system;
      const create = (o: Parameters<typeof jobParams>[1]) => jobs.connect(researcher).createJob(jobParams(system, o));
      await expect(create({ rounds: 0 })).to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidRounds");
      await expect(create({ datasetIds: [] })).to.be.revertedWithCustomError(jobs, "TrainingJobsNoDatasets");
      await expect(create({ reward: 0n }))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidReward")
        .withArgs(0n);
      await expect(create({ reward: 2n ** 128n }))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidReward")
        .withArgs(2n ** 128n);
      await expect(create({ coordinator: ethers.ZeroAddress })).to.be.revertedWithCustomError(
        jobs,
        "TrainingJobsInvalidCoordinator",
      );
      await expect(create({ paymentToken: ethers.ZeroAddress })).to.be.revertedWithCustomError(
        jobs,
        "TrainingJobsInvalidPaymentToken",
      );
    });

    it("rejects unknown and deactivated datasets with TrainingJobsInactiveDataset", async () => {
      const system = await withDatasets();
      const { jobs, datasets, researcher, bob } = system;
      await expect(jobs.connect(researcher).createJob(jobParams(system, { datasetIds: [1n, 7n] })))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInactiveDataset")
        .withArgs(7n);
      await datasets.connect(bob).deactivateDataset(2n);
      await expect(jobs.connect(researcher).createJob(jobParams(system)))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInactiveDataset")
        .withArgs(2n);
    });

    it("rejects fee-on-transfer tokens with TrainingJobsTransferMismatch", async () => {
      const system = await withDatasets();
      const { jobs, researcher } = system;
      const fot = await ethers.deployContract("FeeOnTransferToken");
      await fot.mint(researcher.address, 1_000n);
      await fot.connect(researcher).approve(jobs, 1_000n);
      await expect(jobs.connect(researcher).createJob(jobParams(system, { paymentToken: fot.target, reward: 1_000n })))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsTransferMismatch")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });
  });

  describe("anchorRound", () => {
    it("records each round once, in order, and emits RoundAnchored", async () => {
      const system = await withDatasets();
      const { jobs, coordinator } = system;
      const jobId = await createJob(system);
      const root = roundRoot(10);
      const modelHash = ethers.id("model r1");
      await expect(jobs.connect(coordinator).anchorRound(jobId, 1n, root, modelHash))
        .to.emit(jobs, "RoundAnchored")
        .withArgs(jobId, 1n, root, modelHash);
      expect(await jobs.getRound(jobId, 1n)).to.deep.equal([root, modelHash]);
      const job = await jobs.getJob(jobId);
      expect([job.status, job.roundsAnchored]).to.deep.equal([Status.Running, 1n]);
      expect(job.lastActivityAt).to.equal(await latestTime());
    });

    it("rejects a round out of order, a round anchored twice, and rounds past the last", async () => {
      const system = await withDatasets();
      const { jobs, coordinator } = system;
      const jobId = await createJob(system);
      const [root, model] = [ethers.id("r"), ethers.id("m")];
      await expect(jobs.connect(coordinator).anchorRound(jobId, 2n, root, model))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsRoundOutOfOrder")
        .withArgs(jobId, 2n, 1n);
      await jobs.connect(coordinator).anchorRound(jobId, 1n, root, model);
      await expect(jobs.connect(coordinator).anchorRound(jobId, 1n, root, model))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsRoundOutOfOrder")
        .withArgs(jobId, 1n, 2n);
      await jobs.connect(coordinator).anchorRound(jobId, 2n, root, model);
      await jobs.connect(coordinator).anchorRound(jobId, 3n, root, model);
      await expect(jobs.connect(coordinator).anchorRound(jobId, 4n, root, model))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsAllRoundsAnchored")
        .withArgs(jobId, 3n);
    });

    it("refuses anyone but the job's coordinator, even the researcher", async () => {
      const system = await withDatasets();
      const { jobs, researcher, stranger } = system;
      const jobId = await createJob(system);
      for (const caller of [researcher, stranger]) {
        await expect(jobs.connect(caller).anchorRound(jobId, 1n, ethers.id("r"), ethers.id("m")))
          .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCoordinator")
          .withArgs(jobId, caller.address);
      }
    });

    it("rejects zero roots, unknown jobs, and jobs that are over", async () => {
      const system = await finalizedJob();
      const { jobs, coordinator, jobId } = system;
      const other = await createJob(system);
      await expect(
        jobs.connect(coordinator).anchorRound(other, 1n, ethers.ZeroHash, ethers.id("m")),
      ).to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidAnchor");
      await expect(
        jobs.connect(coordinator).anchorRound(other, 1n, ethers.id("r"), ethers.ZeroHash),
      ).to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidAnchor");
      await expect(jobs.connect(coordinator).anchorRound(99n, 1n, ethers.id("r"), ethers.id("m")))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob")
        .withArgs(99n);
      await expect(jobs.connect(coordinator).anchorRound(jobId, 4n, ethers.id("r"), ethers.id("m")))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Finalized);
    });

    it("costs the same gas for a root over 10 and over 1,000 trainers", async () => {
      const system = await withDatasets();
      const { jobs, coordinator } = system;
      const jobId = await createJob(system);
      await anchorRounds(system, jobId, 1);
      const gas = async (round: bigint, leaves: number) => {
        const tx = await jobs.connect(coordinator).anchorRound(jobId, round, roundRoot(leaves), ethers.id("m"));
        return (await tx.wait())?.gasUsed ?? 0n;
      };
      const small = await gas(2n, 10);
      const large = await gas(3n, 1_000);
      // Only the calldata bytes of the two roots differ (≤ 32 bytes × 12 gas between zero and non-zero bytes).
      const difference = large > small ? large - small : small - large;
      expect(difference <= 384n).to.equal(true);
      expect(large < 100_000n).to.equal(true);
    });
  });

  describe("finalizeJob", () => {
    it("records the payout root, sends the fee to the treasury and starts the claim period", async () => {
      const { jobs, usdc, treasury, coordinator, jobId, tree, total, fee } = await anchoredJob();
      const tx = await jobs.connect(coordinator).finalizeJob(jobId, tree.root, total);
      const deadline = (await latestTime()) + CLAIM_PERIOD;
      await expect(tx).to.emit(jobs, "JobFinalized").withArgs(jobId, tree.root, total, fee, deadline);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [jobs, treasury], [-fee, fee]);
      const job = await jobs.getJob(jobId);
      expect([job.status, job.payoutRoot, job.payoutTotal, job.fee, job.claimDeadline]).to.deep.equal([
        Status.Finalized,
        tree.root,
        total,
        fee,
        deadline,
      ]);
    });

    it("is coordinator-only and needs at least one anchored round", async () => {
      const system = await anchoredJob();
      const { jobs, coordinator, researcher, jobId, tree, total } = system;
      await expect(jobs.connect(researcher).finalizeJob(jobId, tree.root, total))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCoordinator")
        .withArgs(jobId, researcher.address);
      const fresh = await createJob(system);
      await expect(jobs.connect(coordinator).finalizeJob(fresh, tree.root, total))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(fresh, Status.Open);
    });

    it("rejects an empty payout and one that with its fee exceeds the escrow", async () => {
      const { jobs, coordinator, jobId, tree } = await anchoredJob();
      await expect(jobs.connect(coordinator).finalizeJob(jobId, ethers.ZeroHash, 1n)).to.be.revertedWithCustomError(
        jobs,
        "TrainingJobsInvalidPayout",
      );
      await expect(jobs.connect(coordinator).finalizeJob(jobId, tree.root, 0n)).to.be.revertedWithCustomError(
        jobs,
        "TrainingJobsInvalidPayout",
      );
      const total = units(980);
      const fee = (total * FEE_BPS) / BPS;
      await expect(jobs.connect(coordinator).finalizeJob(jobId, tree.root, total))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsPayoutExceedsEscrow")
        .withArgs(jobId, total, fee, units(1_000));
    });

    it("reports an absurd payout total as exceeding the escrow rather than overflowing", async () => {
      const { jobs, coordinator, jobId, tree } = await anchoredJob();
      const absurd = ethers.MaxUint256;
      await expect(jobs.connect(coordinator).finalizeJob(jobId, tree.root, absurd))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsPayoutExceedsEscrow")
        .withArgs(jobId, absurd, 0n, units(1_000));
    });

    it("happens once", async () => {
      const { jobs, coordinator, jobId, tree, total } = await finalizedJob();
      await expect(jobs.connect(coordinator).finalizeJob(jobId, tree.root, total))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Finalized);
    });
  });

  describe("setParameters", () => {
    it("applies new parameters and emits ParametersUpdated; jobs keep the fee they were created with", async () => {
      const system = await withDatasets();
      const { jobs, gov } = system;
      const before = await createJob(system);
      await expect(jobs.connect(gov).setParameters({ protocolFeeBps: 1_000n, claimPeriod: DAY, staleJobTimeout: DAY }))
        .to.emit(jobs, "ParametersUpdated")
        .withArgs([1_000n, DAY, DAY]);
      const after = await createJob(system);
      expect((await jobs.getJob(before)).feeBps).to.equal(FEE_BPS);
      expect((await jobs.getJob(after)).feeBps).to.equal(1_000n);
    });

    it("rejects out-of-range parameters with TrainingJobsInvalidParameters", async () => {
      const { jobs, gov } = await loadSystem();
      const bad = [
        [1_001n, DAY, DAY],
        [0n, DAY - 1n, DAY],
        [0n, 366n * DAY, DAY],
        [0n, DAY, DAY - 1n],
        [0n, DAY, 366n * DAY],
      ] as const;
      for (const [protocolFeeBps, claimPeriod, staleJobTimeout] of bad) {
        await expect(jobs.connect(gov).setParameters({ protocolFeeBps, claimPeriod, staleJobTimeout }))
          .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidParameters")
          .withArgs([protocolFeeBps, claimPeriod, staleJobTimeout]);
      }
    });

    shouldBeGovernanceOnly(loadSystem, (s: System) => s.jobs, {
      setParameters: (s, caller) =>
        s.jobs.connect(caller).setParameters({ protocolFeeBps: 0n, claimPeriod: DAY, staleJobTimeout: DAY }),
    });
  });

  it("getJob and getJobDatasets revert for unknown jobs", async () => {
    const { jobs } = await loadSystem();
    await expect(jobs.getJob(1n)).to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob").withArgs(1n);
    await expect(jobs.getJobDatasets(1n)).to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob").withArgs(1n);
    await expect(jobs.reclaimable(1n)).to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob").withArgs(1n);
  });
});
