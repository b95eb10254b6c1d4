import { expect } from "chai";
import { anchorRounds, createJob, STALE, JobStatus as Status, withDatasets } from "../helpers/jobs.js";
import { DAY, ethers, increaseTime, latestTime, units } from "../helpers/system.js";

const REWARD = units(1_000);

/** An Open job (id 1) with its reward escrowed. */
async function openJob() {
  const system = await withDatasets();
  const jobId = await createJob(system);
  return { ...system, jobId };
}

describe("TrainingJobs acceptance and per-job stale timeout (issue 12, item 10)", () => {
  describe("acceptJob", () => {
    it("lets the job's coordinator accept an Open job once, emitting JobAccepted with the stale time", async () => {
      const { jobs, coordinator, jobId } = await openJob();
      const tx = jobs.connect(coordinator).acceptJob(jobId);
      const at = (await latestTime()) + 1n;
      await expect(tx)
        .to.emit(jobs, "JobAccepted")
        .withArgs(jobId, coordinator.address, at + STALE);
      const job = await jobs.getJob(jobId);
      expect([job.status, job.accepted, job.lastActivityAt]).to.deep.equal([Status.Open, true, at]);
      await expect(jobs.connect(coordinator).acceptJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsAlreadyAccepted")
        .withArgs(jobId);
    });

    it("only the job's coordinator can accept: the researcher and strangers are refused", async () => {
      const { jobs, researcher, stranger, jobId } = await openJob();
      for (const caller of [researcher, stranger]) {
        await expect(jobs.connect(caller).acceptJob(jobId))
          .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCoordinator")
          .withArgs(jobId, caller.address);
      }
      expect((await jobs.getJob(jobId)).accepted).to.equal(false);
      await expect(jobs.connect(stranger).acceptJob(99n))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob")
        .withArgs(99n);
    });

    it("is only for Open jobs: running, cancelled jobs are refused", async () => {
      const system = await openJob();
      const { jobs, coordinator, researcher, jobId } = system;
      await anchorRounds(system, jobId, 1);
      await expect(jobs.connect(coordinator).acceptJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(jobId, Status.Running);
      const second = await createJob(system);
      await jobs.connect(researcher).cancelJob(second);
      await expect(jobs.connect(coordinator).acceptJob(second))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsInvalidStatus")
        .withArgs(second, Status.Cancelled);
    });

    it("does not gate anchorRound: rounds anchor before and after acceptance", async () => {
      const system = await openJob();
      const { jobs, coordinator, jobId } = system;
      await anchorRounds(system, jobId, 1);
      expect((await jobs.getJob(jobId)).roundsAnchored).to.equal(1n);
      const accepted = await createJob(system);
      await jobs.connect(coordinator).acceptJob(accepted);
      await anchorRounds(system, accepted, 2);
      const job = await jobs.getJob(accepted);
      expect([job.status, job.roundsAnchored, job.accepted]).to.deep.equal([Status.Running, 2n, true]);
    });
  });

  describe("cancelJob around acceptance", () => {
    it("before acceptance the researcher cancels an Open job at any time, with a full refund", async () => {
      const { jobs, usdc, researcher, jobId } = await openJob();
      await increaseTime(DAY);
      const tx = jobs.connect(researcher).cancelJob(jobId);
      await expect(tx).to.emit(jobs, "JobCancelled").withArgs(jobId, REWARD);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [researcher, jobs], [REWARD, -REWARD]);
    });

    it("attack: a researcher front-running the first anchor after acceptance is refused until the job is stale", async () => {
      const system = await openJob();
      const { jobs, usdc, coordinator, researcher, jobId } = system;
      await jobs.connect(coordinator).acceptJob(jobId);
      const staleAt = (await jobs.getJob(jobId)).lastActivityAt + STALE;
      // Trainers did round 1; the researcher tries to cancel before the coordinator's anchor lands.
      await expect(jobs.connect(researcher).cancelJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCancellable")
        .withArgs(jobId, staleAt);
      await anchorRounds(system, jobId, 1);
      expect(await usdc.balanceOf(jobs)).to.equal(REWARD);
      // An accepted job the coordinator abandons: cancellable once stale, and not one second before.
      const other = await createJob(system);
      await jobs.connect(coordinator).acceptJob(other);
      const otherStaleAt = (await jobs.getJob(other)).lastActivityAt + STALE;
      await increaseTime(otherStaleAt - (await latestTime()) - 1n);
      await expect(jobs.connect(researcher).cancelJob(other))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCancellable")
        .withArgs(other, otherStaleAt);
      await increaseTime(1n);
      await expect(jobs.connect(researcher).cancelJob(other)).to.emit(jobs, "JobCancelled").withArgs(other, REWARD);
    });

    it("a setParameters change of staleJobTimeout does not reach an existing job", async () => {
      const system = await openJob();
      const { jobs, gov, coordinator, researcher, jobId } = system;
      await jobs.connect(coordinator).acceptJob(jobId);
      const acceptedAt = (await jobs.getJob(jobId)).lastActivityAt;
      // Governance shortens the timeout to one day (and later lengthens it): the job keeps its 14 days.
      await jobs.connect(gov).setParameters({ protocolFeeBps: 250n, claimPeriod: 30n * DAY, staleJobTimeout: DAY });
      expect((await jobs.getJob(jobId)).staleJobTimeout).to.equal(STALE);
      await increaseTime(2n * DAY);
      await expect(jobs.connect(researcher).cancelJob(jobId))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsNotCancellable")
        .withArgs(jobId, acceptedAt + STALE);
      // A running job likewise: its anchor time plus its own timeout, not the new one.
      const running = await createJob(system);
      expect((await jobs.getJob(running)).staleJobTimeout).to.equal(DAY);
      await jobs
        .connect(gov)
        .setParameters({ protocolFeeBps: 250n, claimPeriod: 30n * DAY, staleJobTimeout: 365n * DAY });
      await anchorRounds(system, running, 1);
      await increaseTime(DAY + 1n);
      await expect(jobs.connect(researcher).cancelJob(running)).to.emit(jobs, "JobCancelled");
      // And the first job becomes cancellable at its own stale time.
      await increaseTime(acceptedAt + STALE - (await latestTime()));
      await expect(jobs.connect(researcher).cancelJob(jobId)).to.emit(jobs, "JobCancelled").withArgs(jobId, REWARD);
    });
  });
});
