import { type OnChainJob, TrainingJobsReader } from "@tributary/auditor";
import type { TrainingJobs } from "@tributary/contracts/typed";
import { type JobId, TributaryError } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { formatToken, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";

/** The researcher's account and TrainingJobs, as `job cancel` and `job reclaim` act on them. */
export interface JobOwnerChain {
  /** The researcher, connected to the chain. */
  readonly wallet: Wallet;
  readonly trainingJobs: TrainingJobs;
}

/** What came back to the researcher. */
export interface Refund {
  readonly jobId: JobId;
  /** In `token`'s base units. */
  readonly amount: bigint;
  readonly token: TokenInfo;
  readonly tx: MinedTransaction;
}

/** The job as TrainingJobs stores it, the caller checked to be its researcher; refusals name what is wrong. */
async function researchedJob(chain: JobOwnerChain, jobId: JobId): Promise<{ job: OnChainJob; token: TokenInfo }> {
  const provider = chain.wallet.provider;
  if (provider === null) throw new TributaryError("INVALID_INPUT", "the researcher's wallet is not connected");
  const reader = await TrainingJobsReader.at(provider, await chain.trainingJobs.getAddress());
  const job = await reader.job(BigInt(jobId));
  if (job === undefined) {
    throw new RefusedError("UNKNOWN_JOB", `TrainingJobs ${reader.address} knows no job ${jobId}`, { jobId });
  }
  const caller = chain.wallet.address.toLowerCase();
  if (job.researcher !== caller) {
    throw new RefusedError(
      "NOT_RESEARCHER",
      `job ${jobId} was created by ${job.researcher}, not by ${caller}: only its researcher can do this (check --keystore or TRIBUTARY_RESEARCHER_KEY)`,
      { jobId, researcher: job.researcher, caller },
    );
  }
  return { job, token: await tokenInfo(job.paymentToken, provider) };
}

const isoTime = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/**
 * `cancelJob`: refunds the whole escrow of a job that is still Open and not accepted by its coordinator, or of an
 * accepted or running job that has gone its stale timeout without activity. Refuses an unknown job, a caller who
 * is not its researcher and a job already finalised or cancelled; the contract's own refusal (not cancellable yet)
 * is reported decoded, with when the job becomes cancellable.
 */
export async function cancelJob(out: Output, chain: JobOwnerChain, jobId: JobId): Promise<Refund> {
  const { job, token } = await researchedJob(chain, jobId);
  if (job.status === "Finalized" || job.status === "Cancelled") {
    throw new RefusedError(
      "NOT_CANCELLABLE",
      `job ${jobId} is ${job.status}: ${job.status === "Finalized" ? "its payouts are set; `tributary job reclaim` returns what they do not take" : "its escrow was refunded already"}`,
      { jobId, status: job.status },
    );
  }
  out.say(`cancelling job ${jobId} refunds its escrow of ${formatToken(job.escrow, token)} to ${chain.wallet.address}`);
  let tx: MinedTransaction;
  try {
    tx = await sendAndWait(out, {
      description: `cancel job ${jobId}`,
      call: "TrainingJobs.cancelJob",
      send: () => chain.trainingJobs.connect(chain.wallet).cancelJob(BigInt(jobId)),
    });
  } catch (error) {
    if (!(error instanceof RefusedError) || error.details.error !== "TrainingJobsNotCancellable") throw error;
    const staleAt = job.lastActivityAt + job.staleJobTimeout;
    throw new RefusedError(
      error.code,
      `${error.message}. Job ${jobId} is ${job.accepted ? "accepted by its coordinator" : job.status}, so it can be cancelled only once it has gone ${job.staleJobTimeout} s (${Number(job.staleJobTimeout) / 86_400} days) without activity, after ${isoTime(staleAt)}`,
      { ...error.details, jobId, staleAt },
      error,
    );
  }
  return { jobId, amount: job.escrow, token, tx };
}

/**
 * `reclaim`: after the job is finalised, takes back the escrow its payouts and fee do not use (and, after the claim
 * period, what contributors left unclaimed). Refuses an unknown job, a caller who is not its researcher and a job
 * not finalised; nothing left to reclaim is the contract's refusal, reported decoded.
 */
export async function reclaimJob(out: Output, chain: JobOwnerChain, jobId: JobId): Promise<Refund> {
  const { job, token } = await researchedJob(chain, jobId);
  if (job.status !== "Finalized") {
    throw new RefusedError(
      "NOT_FINALIZED",
      `job ${jobId} is ${job.status} (${job.roundsAnchored}/${job.rounds} rounds anchored): only a finalised job's leftover escrow can be reclaimed${job.status === "Open" || job.status === "Running" ? "; `tributary job cancel` refunds a job that will not run" : ""}`,
      { jobId, status: job.status },
    );
  }
  const amount = await chain.trainingJobs.reclaimable(BigInt(jobId));
  out.say(
    `reclaiming job ${jobId}: ${formatToken(amount, token)} of its ${formatToken(job.escrow, token)} escrow (payouts ${formatToken(job.payoutTotal, token)}, fee ${formatToken(job.fee, token)}, refunded so far ${formatToken(job.refunded, token)})`,
  );
  const tx = await sendAndWait(out, {
    description: `reclaim ${formatToken(amount, token)} from job ${jobId}`,
    call: "TrainingJobs.reclaim",
    send: () => chain.trainingJobs.connect(chain.wallet).reclaim(BigInt(jobId)),
  });
  return { jobId, amount, token, tx };
}
