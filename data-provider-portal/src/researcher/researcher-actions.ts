import { type OnChainJob, TrainingJobsReader } from "@tributary/auditor";
import { connectTrainingJobs } from "@tributary/contracts/typed";
import type { Provider, Signer } from "ethers";

/** The researcher's job as TrainingJobs stores it, what can be done with it now, and what is reclaimable. */
export interface JobOnChain {
  readonly job: OnChainJob;
  /** The chain's latest block time (unix seconds), which cancellation is judged against. */
  readonly now: bigint;
  /** When an accepted or running job goes stale and its researcher may cancel it. */
  readonly staleAt: bigint;
  readonly cancellable: boolean;
  readonly reclaimable: bigint;
}

/**
 * What `tributary job cancel` and `job reclaim` check before they send: an Open job not yet accepted by its
 * coordinator may be cancelled at once; an accepted or running one once it has gone its stale timeout without
 * activity; a finalised job's leftover escrow may be reclaimed. `undefined` when TrainingJobs knows no such job.
 */
export async function readJobOnChain(
  provider: Provider,
  trainingJobs: string,
  jobId: string,
): Promise<JobOnChain | undefined> {
  const reader = await TrainingJobsReader.at(provider, trainingJobs);
  const job = await reader.job(BigInt(jobId));
  if (job === undefined) return undefined;
  const now = reader.blockTimestamp;
  const staleAt = job.lastActivityAt + job.staleJobTimeout;
  const live = job.status === "Open" || job.status === "Running";
  const cancellable = live && (!job.accepted || now >= staleAt);
  const reclaimable =
    job.status === "Finalized" ? await connectTrainingJobs(trainingJobs, provider).reclaimable(BigInt(jobId)) : 0n;
  return { job, now, staleAt, cancellable, reclaimable };
}

/** `TrainingJobs.cancelJob`: refunds the escrow (the contract refuses a job not cancellable; decoded by the page). */
export async function cancelJobOnChain(signer: Signer, trainingJobs: string, jobId: string): Promise<string> {
  const sent = await connectTrainingJobs(trainingJobs, signer).cancelJob(BigInt(jobId));
  await sent.wait();
  return sent.hash;
}

/** `TrainingJobs.reclaim`: takes back what a finalised job's payouts and fee do not use. */
export async function reclaimOnChain(signer: Signer, trainingJobs: string, jobId: string): Promise<string> {
  const sent = await connectTrainingJobs(trainingJobs, signer).reclaim(BigInt(jobId));
  await sent.wait();
  return sent.hash;
}
