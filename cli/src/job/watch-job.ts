import { CoordinatorHttpError, type OnChainJob, TrainingJobsReader } from "@tributary/auditor";
import { type JobId, TributaryError } from "@tributary/protocol";
import type { Provider } from "ethers";
import { RefusedError } from "../chain/run-command.js";
import type { CoordinatorClient } from "./coordinator-client.js";
import { type CoordinatorJobStatus, isFinished, JobViewSchema, RoundListSchema } from "./coordinator-views.js";
import type { RoundProgress } from "./progress-view.js";
import { progressOf, type RoundRecord, roundRecord } from "./round-records.js";

/** Where a watched job's progress goes: a bar or line per round, and notes (anchors, adoption, finalisation). */
export interface JobProgressSink {
  update(progress: RoundProgress): void;
  note(text: string): void;
}

/** TrainingJobs, to follow an on-chain job's anchors, finalisation and cancellation on the chain itself. */
export interface WatchedChain {
  readonly provider: Provider;
  readonly trainingJobs: string;
}

/** How a watched job ended. */
export interface JobOutcome {
  readonly jobId: JobId;
  /** The coordinator's final status, or `cancelled` when TrainingJobs says so first. */
  readonly status: CoordinatorJobStatus;
  /** Why it failed or was cancelled (the coordinator's error, or the chain's word). */
  readonly reason: string | null;
  readonly rounds: number;
  /** Federated evaluation of the final model on the trainers' held-out data. */
  readonly accuracy: number | null;
  readonly loss: number | null;
  /** Largest cumulative ε any dataset spent (DP jobs), after the last training round. */
  readonly epsilonSpent: number | null;
  readonly perRound: readonly RoundRecord[];
  /** On-chain jobs: the chain's view when the watch ended. */
  readonly chain?: {
    readonly status: OnChainJob["status"];
    readonly roundsAnchored: number;
    /** When the researcher may cancel an accepted job that went stale (unix seconds). */
    readonly staleAt: number;
  };
}

export interface WatchJobOptions {
  readonly coordinator: CoordinatorClient;
  readonly jobId: JobId;
  readonly sink: JobProgressSink;
  readonly chain?: WatchedChain | undefined;
  /** Milliseconds between polls (default 500). */
  readonly pollMs?: number;
  /** How long a completed on-chain job may take to be finalised on chain before the watch gives up waiting (600 s). */
  readonly finalizeTimeoutMs?: number;
  /** Checked at every poll: a reason to stop watching (e.g. the demo's trainer processes all exited). */
  readonly abort?: () => string | undefined;
}

/** The job is known neither to the coordinator nor (when given) to TrainingJobs. */
export class UnknownJobError extends RefusedError {
  constructor(jobId: string, where: string) {
    super("UNKNOWN_JOB", `no job ${jobId} ${where}`, { jobId });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function onChain(chain: WatchedChain | undefined, jobId: JobId): Promise<OnChainJob | undefined> {
  if (chain === undefined) return undefined;
  return (await TrainingJobsReader.at(chain.provider, chain.trainingJobs)).job(BigInt(jobId));
}

/** The coordinator's job, or undefined while it answers 404 (an on-chain job not adopted yet). */
async function coordinatorJob(coordinator: CoordinatorClient, jobId: JobId) {
  try {
    return await coordinator.get(`/jobs/${jobId}`, JobViewSchema, `job ${jobId}`);
  } catch (error) {
    if (error instanceof CoordinatorHttpError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Follows a job until it ends: each round's progress (trainers done, loss, accuracy, ε) from the coordinator's REST
 * API and, for an on-chain job, its anchors, cancellation and finalisation from TrainingJobs itself. Returns when the
 * coordinator says the job completed (then, on chain, once `finalizeJob` is mined or `finalizeTimeoutMs` passed),
 * failed or was cancelled, or when TrainingJobs says it was cancelled. Throws `UnknownJobError` for a job neither
 * knows; waits (with a note) while an on-chain job is not adopted yet.
 */
export async function watchJob(options: WatchJobOptions): Promise<JobOutcome> {
  const { coordinator, jobId, sink, chain } = options;
  const pollMs = options.pollMs ?? 500;
  let anchored = -1;
  let waitingNoted = false;
  let completedAt: number | undefined;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted !== undefined) throw new TributaryError("WATCH_ABORTED", `stopped watching job ${jobId}: ${aborted}`);
    const chainJob = await onChain(chain, jobId);
    if (chain !== undefined && chainJob === undefined) {
      throw new UnknownJobError(jobId, `on TrainingJobs at ${chain.trainingJobs}`);
    }
    if (chainJob !== undefined && chainJob.roundsAnchored > anchored) {
      if (anchored < 0 && chainJob.roundsAnchored > 0) {
        sink.note(`${chainJob.roundsAnchored}/${chainJob.rounds} rounds anchored on TrainingJobs so far`);
      }
      for (let round = anchored + 1; anchored >= 0 && round <= chainJob.roundsAnchored; round++) {
        sink.note(`round ${round}/${chainJob.rounds} anchored on TrainingJobs`);
      }
      anchored = chainJob.roundsAnchored;
    }
    const job = await coordinatorJob(coordinator, jobId);
    if (job === undefined) {
      if (chainJob === undefined) throw new UnknownJobError(jobId, `at the coordinator ${coordinator.url}`);
      if (chainJob.status === "Cancelled")
        return outcome(jobId, "cancelled", "cancelled on TrainingJobs", [], chainJob);
      if (!waitingNoted) sink.note(`job ${jobId} is on chain; waiting for the coordinator to adopt it`);
      waitingNoted = true;
      await sleep(pollMs);
      continue;
    }
    const rounds = await coordinator.get(`/jobs/${jobId}/rounds`, RoundListSchema, `rounds of job ${jobId}`);
    for (const row of rounds) sink.update(progressOf(row, job.spec.rounds));
    if (chainJob?.status === "Cancelled")
      return outcome(jobId, "cancelled", "cancelled on TrainingJobs", rounds, chainJob);
    if (isFinished(job.status)) {
      const metrics = { accuracy: job.finalMetrics?.evalAccuracy ?? null, loss: job.finalMetrics?.evalLoss ?? null };
      if (job.status !== "completed" || chainJob === undefined || chainJob.status === "Finalized") {
        return outcome(jobId, job.status, job.error, rounds, chainJob, metrics);
      }
      completedAt ??= Date.now();
      if (Date.now() - completedAt > (options.finalizeTimeoutMs ?? 600_000)) {
        sink.note(`job ${jobId} completed, but TrainingJobs has not seen its finalizeJob yet (${chainJob.status})`);
        return outcome(jobId, job.status, null, rounds, chainJob, metrics);
      }
    }
    await sleep(pollMs);
  }
}

function outcome(
  jobId: JobId,
  status: CoordinatorJobStatus,
  reason: string | null,
  rows: Parameters<typeof roundRecord>[0][],
  chainJob: OnChainJob | undefined,
  metrics: { accuracy: number | null; loss: number | null } = { accuracy: null, loss: null },
): JobOutcome {
  const lastTrain = rows.filter((row) => row.kind === "train").at(-1);
  return {
    jobId,
    status,
    reason,
    rounds: rows.filter((row) => row.kind === "train" && row.status === "done").length,
    ...metrics,
    epsilonSpent: lastTrain?.metrics?.epsilonSpent ?? null,
    perRound: rows.map(roundRecord),
    ...(chainJob === undefined
      ? {}
      : {
          chain: {
            status: chainJob.status,
            roundsAnchored: chainJob.roundsAnchored,
            staleAt: Number(chainJob.lastActivityAt + chainJob.staleJobTimeout),
          },
        }),
  };
}
