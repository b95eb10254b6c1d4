import { connectDatasetRegistry, connectTrainingJobs } from "@tributary/contracts/typed";
import { type JobId, TributaryError } from "@tributary/protocol";
import type { ContractRunner } from "ethers";

/** Decides, before any record is read, whether the owner's dataset takes part in a job. */
export interface JobAdmission {
  /** Resolves when the job is admitted; throws `JobRefusedError` (or a connection error) otherwise. */
  admit(jobId: JobId): Promise<void>;
  /** The chain the checks read (the coordinator's `hello` must name it), when there is one. */
  readonly chainId: number | undefined;
  /** TrainingJobs on that chain: the EIP-712 `verifyingContract` the coordinator's `hello` must name. */
  readonly trainingJobs: string | undefined;
  /** One line for the operator: what is checked. */
  readonly description: string;
}

export class JobRefusedError extends TributaryError {
  constructor(jobId: string, reason: string, details: Record<string, unknown> = {}) {
    super("JOB_REFUSED", `job ${jobId} refused: ${reason}`, { details: { jobId, ...details } });
  }
}

/** Without a chain (the off-chain coordinator mode) there are no on-chain terms to check: every job is joined. */
export const OFF_CHAIN_ADMISSION: JobAdmission = {
  admit: async () => {},
  chainId: undefined,
  trainingJobs: undefined,
  description:
    "no chain configured (--rpc): jobs are joined without checking their payment token and escrow (off-chain coordinator mode)",
};

export interface ChainJobAdmissionOptions {
  /** Reads the chain (a provider). */
  readonly runner: ContractRunner;
  readonly chainId: number;
  readonly trainingJobs: string;
  readonly datasetRegistry: string;
  /** The owner's dataset on DatasetRegistry. */
  readonly datasetId: string;
  /** Payment tokens the owner accepts (default in the CLI: the deployment's TRIB). */
  readonly allowedTokens: readonly string[];
}

const OPEN = 1n;
const RUNNING = 2n;

/**
 * The owner's terms, read from the chain itself (not from the coordinator): the job exists on TrainingJobs, is
 * open or running, trains on the owner's dataset, pays in a token on the owner's allowlist, and escrows at least
 * the dataset's `pricePerRound` × the job's rounds. An admitted job stays admitted (its terms cannot change).
 */
export class ChainJobAdmission implements JobAdmission {
  readonly #admitted = new Set<JobId>();
  readonly #allowed: Set<string>;
  readonly chainId: number;
  readonly trainingJobs: string;
  readonly description: string;

  constructor(private readonly options: ChainJobAdmissionOptions) {
    this.#allowed = new Set(options.allowedTokens.map((token) => token.toLowerCase()));
    this.chainId = options.chainId;
    this.trainingJobs = options.trainingJobs.toLowerCase();
    this.description = `jobs are checked on chain ${options.chainId} (TrainingJobs ${options.trainingJobs}): payment token in [${[...this.#allowed].join(", ")}], escrow ≥ dataset ${options.datasetId}'s price per round × rounds`;
  }

  async admit(jobId: JobId): Promise<void> {
    if (this.#admitted.has(jobId)) return;
    const { runner, datasetId } = this.options;
    const jobs = connectTrainingJobs(this.options.trainingJobs, runner);
    const registry = connectDatasetRegistry(this.options.datasetRegistry, runner);
    const job = await jobs.getJob(BigInt(jobId)).catch((error: { code?: string }) => {
      if (error.code !== "CALL_EXCEPTION") throw error;
      throw new JobRefusedError(jobId, `TrainingJobs ${this.options.trainingJobs} has no job ${jobId}`);
    });
    if (job.status !== OPEN && job.status !== RUNNING) {
      throw new JobRefusedError(jobId, `its status on chain is ${job.status}, neither open nor running`);
    }
    const datasets = await jobs.getJobDatasets(BigInt(jobId));
    if (!datasets.some((id) => id === BigInt(datasetId))) {
      throw new JobRefusedError(jobId, `it does not train on dataset ${datasetId} on chain`);
    }
    const token = job.paymentToken.toLowerCase();
    if (!this.#allowed.has(token)) {
      throw new JobRefusedError(jobId, `it pays in token ${token}, which is not on the owner's allowlist`, { token });
    }
    const dataset = await registry.getDataset(BigInt(datasetId));
    const required = dataset.pricePerRound * job.rounds;
    if (job.escrow < required) {
      throw new JobRefusedError(
        jobId,
        `its escrow ${job.escrow} is below dataset ${datasetId}'s price ${dataset.pricePerRound} per round × ${job.rounds} rounds = ${required}`,
        { escrow: String(job.escrow), required: String(required) },
      );
    }
    this.#admitted.add(jobId);
  }
}
