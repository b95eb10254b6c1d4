import { createHash } from "node:crypto";
import { connectDatasetRegistry, connectTrainingJobs } from "@tributary/contracts/typed";
import { canonicalJobSpecBytes, type JobId, type JobSpec, TributaryError } from "@tributary/protocol";
import type { ContractRunner } from "ethers";

/** Decides, before any record is read, whether the owner's dataset takes part in a job. */
export interface JobAdmission {
  /** Resolves when the job is admitted; throws `JobRefusedError` (or a connection error) otherwise. */
  admit(jobId: JobId): Promise<void>;
  /**
   * Resolves when `spec`, as the coordinator served it, is the spec the job's terms commit to; throws
   * `JobSpecMismatchError` (or a connection error) otherwise. Called before the spec is used for anything.
   */
  checkSpec(jobId: JobId, spec: JobSpec): Promise<void>;
  /** The chain the checks read (the coordinator's `hello` must name it), when there is one. */
  readonly chainId: number | undefined;
  /** TrainingJobs on that chain: the EIP-712 `verifyingContract` the coordinator's `hello` must name. */
  readonly trainingJobs: string | undefined;
  /** One line for the operator: what is checked. */
  readonly description: string;
}

export class JobRefusedError extends TributaryError {
  constructor(jobId: string, reason: string, details: Record<string, unknown> = {}, code = "JOB_REFUSED") {
    super(code, `job ${jobId} refused: ${reason}`, { details: { jobId, ...details } });
  }
}

/** The coordinator served a job spec other than the one the researcher committed to on TrainingJobs. */
export class JobSpecMismatchError extends JobRefusedError {
  constructor(jobId: string, reason: string, details: Record<string, unknown>) {
    super(
      jobId,
      `the coordinator's job spec is not the one committed on chain: ${reason}`,
      details,
      "JOB_SPEC_MISMATCH",
    );
  }
}

/** Without a chain (the off-chain coordinator mode) there are no on-chain terms to check: every job is joined. */
export const OFF_CHAIN_ADMISSION: JobAdmission = {
  admit: async () => {},
  checkSpec: async () => {},
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
 * the dataset's `pricePerRound` × the job's rounds. An admitted job stays admitted (its terms cannot change). The
 * job spec the coordinator serves must be the one the job's `modelSpecHash` commits to.
 */
export class ChainJobAdmission implements JobAdmission {
  /** Admitted jobs, with the spec hash and rounds they commit to on chain. */
  readonly #admitted = new Map<JobId, { modelSpecHash: string; rounds: bigint }>();
  readonly #allowed: Set<string>;
  readonly chainId: number;
  readonly trainingJobs: string;
  readonly description: string;

  constructor(private readonly options: ChainJobAdmissionOptions) {
    this.#allowed = new Set(options.allowedTokens.map((token) => token.toLowerCase()));
    this.chainId = options.chainId;
    this.trainingJobs = options.trainingJobs.toLowerCase();
    this.description = `jobs are checked on chain ${options.chainId} (TrainingJobs ${options.trainingJobs}): payment token in [${[...this.#allowed].join(", ")}], escrow ≥ dataset ${options.datasetId}'s price per round × rounds, job spec = the committed modelSpecHash`;
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
    this.#admitted.set(jobId, { modelSpecHash: job.modelSpecHash.toLowerCase(), rounds: job.rounds });
  }

  /**
   * The spec's canonical bytes (`canonicalJobSpecBytes`, what the researcher's `modelSpecHash` is the SHA-256 of)
   * must hash to the job's `modelSpecHash` on chain, and the spec's rounds must be the job's.
   */
  async checkSpec(jobId: JobId, spec: JobSpec): Promise<void> {
    await this.admit(jobId);
    const committed = this.#admitted.get(jobId) as { modelSpecHash: string; rounds: bigint };
    const served = `0x${createHash("sha256").update(canonicalJobSpecBytes(spec)).digest("hex")}`;
    if (served !== committed.modelSpecHash) {
      throw new JobSpecMismatchError(
        jobId,
        `it hashes to ${served}, TrainingJobs ${this.options.trainingJobs} commits to modelSpecHash ${committed.modelSpecHash}`,
        { served, committed: committed.modelSpecHash },
      );
    }
    if (BigInt(spec.rounds) !== committed.rounds) {
      throw new JobSpecMismatchError(jobId, `it has ${spec.rounds} rounds, the job on chain ${committed.rounds}`, {
        specRounds: spec.rounds,
        chainRounds: String(committed.rounds),
      });
    }
  }
}
