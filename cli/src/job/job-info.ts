import { type OnChainJob, TrainingJobsReader } from "@tributary/auditor";
import { connectTrainingJobs } from "@tributary/contracts/typed";
import { type Address, type JobId, TributaryError } from "@tributary/protocol";
import type { Provider } from "ethers";
import { RefusedError } from "../chain/run-command.js";
import { type TokenInfo, tokenInfo } from "../chain/spend.js";
import type { CoordinatorClient } from "./coordinator-client.js";
import { JobListSchema, type JobView, JobViewSchema } from "./coordinator-views.js";

/** TrainingJobs as the read-only commands see it. */
export interface JobsOnChain {
  readonly provider: Provider;
  readonly trainingJobs: string;
  /** The deployment's first block: where `job list` starts reading `JobCreated` events. */
  readonly startBlock: number;
}

/** The coordinator's view of a job, or why there is none (not adopted, unreachable). */
export type CoordinatorSide = { readonly job: JobView } | { readonly unavailable: string };

/** A job as TrainingJobs records it and as its coordinator runs it. */
export interface JobReport {
  readonly jobId: JobId;
  readonly chain: OnChainJob & {
    readonly datasetIds: readonly string[];
    readonly reclaimable: bigint;
    /** When an accepted or running job becomes cancellable if nothing happens (unix seconds). */
    readonly staleAt: bigint;
  };
  readonly token: TokenInfo;
  readonly coordinator: CoordinatorSide;
}

async function coordinatorSide(coordinator: CoordinatorClient | undefined, jobId: JobId): Promise<CoordinatorSide> {
  if (coordinator === undefined) return { unavailable: "no coordinator asked" };
  try {
    return { job: await coordinator.get(`/jobs/${jobId}`, JobViewSchema, `job ${jobId}`) };
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    return { unavailable: error.message };
  }
}

/**
 * Job `jobId` as TrainingJobs records it, which `account` must have created: refuses an unknown job (`UNKNOWN_JOB`)
 * and another researcher's (`NOT_RESEARCHER`), `only` saying what is its researcher's alone.
 */
export async function researchersJob(
  provider: Provider,
  trainingJobs: string,
  jobId: JobId,
  account: string,
  only: string,
): Promise<OnChainJob> {
  const job = await (await TrainingJobsReader.at(provider, trainingJobs)).job(BigInt(jobId));
  if (job === undefined) throw new RefusedError("UNKNOWN_JOB", `TrainingJobs ${trainingJobs} knows no job ${jobId}`);
  const me = account.toLowerCase();
  if (job.researcher !== me) {
    throw new RefusedError("NOT_RESEARCHER", `job ${jobId} was created by ${job.researcher}, not by ${me}: ${only}`);
  }
  return job;
}

/** `job show`: TrainingJobs' record of the job (the authority) and, when it can be had, the coordinator's progress. */
export async function showJob(
  chain: JobsOnChain,
  coordinator: CoordinatorClient | undefined,
  jobId: JobId,
): Promise<JobReport> {
  const reader = await TrainingJobsReader.at(chain.provider, chain.trainingJobs);
  const job = await reader.job(BigInt(jobId));
  if (job === undefined) {
    throw new RefusedError("UNKNOWN_JOB", `TrainingJobs ${reader.address} knows no job ${jobId}`, { jobId });
  }
  const contract = connectTrainingJobs(reader.address, chain.provider);
  const blockTag = reader.blockNumber;
  const [datasetIds, reclaimable, token, side] = await Promise.all([
    contract.getJobDatasets(BigInt(jobId), { blockTag }),
    contract.reclaimable(BigInt(jobId), { blockTag }),
    tokenInfo(job.paymentToken, chain.provider),
    coordinatorSide(coordinator, jobId),
  ]);
  return {
    jobId,
    chain: {
      ...job,
      datasetIds: datasetIds.map(String),
      reclaimable,
      staleAt: job.lastActivityAt + job.staleJobTimeout,
    },
    token,
    coordinator: side,
  };
}

/** One row of `job list`. */
export interface JobListRow {
  readonly jobId: JobId;
  readonly researcher: Address;
  readonly status: OnChainJob["status"];
  readonly rounds: number;
  readonly roundsAnchored: number;
  readonly escrow: bigint;
  readonly token: TokenInfo;
  /** The coordinator's status and the spec's name; null when the coordinator does not run it (or was not asked). */
  readonly coordinatorStatus: string | null;
  readonly name: string | null;
}

/** Most blocks one `eth_getLogs` spans (public RPC endpoints refuse wider ranges). */
const LOG_RANGE = 10_000;

/**
 * `job list`: the jobs created on TrainingJobs (by `researcher` when given), from its `JobCreated` events since the
 * deployment's first block, each with its current on-chain state and, when the coordinator runs it, its status.
 */
export async function listJobs(
  chain: JobsOnChain,
  coordinator: CoordinatorClient | undefined,
  researcher: Address | undefined,
): Promise<JobListRow[]> {
  const reader = await TrainingJobsReader.at(chain.provider, chain.trainingJobs);
  const contract = connectTrainingJobs(reader.address, chain.provider);
  const filter = contract.filters.JobCreated(undefined, researcher);
  const ids: bigint[] = [];
  for (let from = chain.startBlock; from <= reader.blockNumber; from += LOG_RANGE) {
    const to = Math.min(reader.blockNumber, from + LOG_RANGE - 1);
    for (const event of await contract.queryFilter(filter, from, to)) ids.push(event.args.jobId);
  }
  let running = new Map<string, JobView>();
  if (coordinator !== undefined && ids.length > 0) {
    try {
      const jobs = await coordinator.get("/jobs", JobListSchema, "jobs");
      running = new Map(jobs.map((job) => [job.id, job]));
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
    }
  }
  const tokens = new Map<string, TokenInfo>();
  const rows: JobListRow[] = [];
  for (const id of ids) {
    const job = (await reader.job(id)) as OnChainJob;
    const token = tokens.get(job.paymentToken) ?? (await tokenInfo(job.paymentToken, chain.provider));
    tokens.set(job.paymentToken, token);
    const view = running.get(String(id));
    rows.push({
      jobId: String(id) as JobId,
      researcher: job.researcher,
      status: job.status,
      rounds: job.rounds,
      roundsAnchored: job.roundsAnchored,
      escrow: job.escrow,
      token,
      coordinatorStatus: view?.status ?? null,
      name: view?.spec.name ?? null,
    });
  }
  return rows;
}
