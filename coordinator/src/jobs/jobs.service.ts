import { Inject, Injectable, Optional } from "@nestjs/common";
import {
  type Address,
  decodeValidationSet,
  InvalidInputError,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  layoutFromSpec,
  type ModelLayout,
  parseInput,
  SOCKET_EVENTS,
  secAggScale,
  weightsToBytes,
} from "@tributary/protocol";
import { BlobNotFoundError, BlobStore } from "../blobs/blob-store.js";
import { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import type { ChainJobEntity } from "../chain/chain-job.entity.js";
import { ChainJobRepository } from "../chain/chain-job.repository.js";
import { resolveJobSpec } from "../chain/job-spec-blob.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../common/coordinator-errors.js";
import { JOB_CHANGES, type JobChanges } from "../common/job-changes.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { DatasetRepository } from "../datasets/dataset.repository.js";
import { ModelRepository } from "../models/model.repository.js";
import { ValidationSetRepository } from "../validation/validation-set.repository.js";
import { initialModel } from "./initial-model.js";
import type { JobEntity } from "./job.entity.js";
import { JobRepository } from "./job.repository.js";
import { JOB_ANNOUNCER, type JobAnnouncer } from "./job-announcer.js";
import { minimumUpdates } from "./strategy-requirements.js";

@Injectable()
export class JobsService {
  constructor(
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(ChainDatasetRepository) private readonly chainDatasets: ChainDatasetRepository,
    @Inject(ChainJobRepository) private readonly chainJobs: ChainJobRepository,
    @Inject(ChainIntentRepository) private readonly outbox: ChainIntentRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(ValidationSetRepository) private readonly validationSets: ValidationSetRepository,
    @Inject(JOB_ANNOUNCER) private readonly trainers: JobAnnouncer,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Optional() @Inject(JOB_CHANGES) private readonly changes?: JobChanges,
  ) {}

  /**
   * Creates an off-chain job from a signed-in researcher's spec: checks it (a validation set it names must be one
   * the researcher uploaded), stores the initial model, and starts it.
   */
  async create(input: JobSpecInput, researcher: Address): Promise<JobEntity> {
    if (this.config.chain !== undefined) {
      throw new ConflictError(
        `this coordinator runs jobs created on TrainingJobs (${this.config.chain.trainingJobs}): upload the JobSpec to POST /chain/job-specs and create the job on chain with the modelSpecHash it returns`,
      );
    }
    const spec: JobSpec = parseInput(JobSpecSchema, input, "JobSpec");
    const layout = await this.#check(spec);
    const sets = [
      ...(spec.scoring.method === "examples" ? [] : [["validation set", spec.scoring.validationSetCid]]),
      ...(spec.strategy.name === "fltrust" ? [["root dataset", spec.strategy.rootDatasetCid]] : []),
    ];
    for (const [what, cid] of sets) {
      const uploaders = await this.validationSets.uploaders(cid as string);
      if (!uploaders.includes(researcher)) {
        throw new ForbiddenError(
          `${what} ${cid} was not uploaded by ${researcher}: upload it yourself (POST /validation-sets)`,
        );
      }
    }
    const known = await this.datasets.countEnrolled(spec.datasetIds);
    if (known !== new Set(spec.datasetIds).size) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.datasetIds", message: "names a dataset that is not enrolled" },
      ]);
    }
    return this.#start(spec, layout, { onChain: false, researcher });
  }

  /**
   * Runs an on-chain job (a `JobCreated` event naming this coordinator): its JobSpec is the blob whose SHA-256 is
   * the job's `modelSpecHash`, its datasets must be active on DatasetRegistry, and the coordinator job gets the
   * on-chain id. The job is created, marked adopted and its `acceptJob` intent committed in one transaction, so it
   * is adopted and accepted exactly once.
   */
  async adopt(chainJob: ChainJobEntity): Promise<JobEntity> {
    const spec = await resolveJobSpec(this.blobs, chainJob);
    const layout = await this.#check(spec);
    const active = await this.chainDatasets.countActive(spec.datasetIds);
    if (active !== new Set(spec.datasetIds).size) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.datasetIds", message: "names a dataset that is not active on DatasetRegistry" },
      ]);
    }
    const existing = await this.jobs.findById(chainJob.jobId);
    if (existing !== null) {
      throw new ConflictError(`job id ${chainJob.jobId} is already taken by an off-chain job of this coordinator`);
    }
    return this.#start(spec, layout, { id: chainJob.jobId, onChain: true, researcher: chainJob.researcher });
  }

  /**
   * What adoption will check of an on-chain job's spec that does not depend on the chain (the model's layout, the
   * strategy's minimum updates, secure aggregation's quantisation, the validation set, attestation): run when the
   * researcher uploads the spec, before any escrow is locked on a spec this coordinator would refuse. Throws
   * `InvalidInputError` naming the spec's path. Datasets are checked at adoption (the indexer may not have seen a
   * dataset enrolled a moment ago).
   */
  async checkSpec(spec: JobSpec): Promise<void> {
    await this.#check(spec);
  }

  /** What every new job must satisfy beyond its schema; returns the model's layout. */
  async #check(spec: JobSpec): Promise<ModelLayout> {
    let layout: ModelLayout;
    try {
      layout = layoutFromSpec(spec.model);
    } catch (error) {
      throw new InvalidInputError("JobSpec", [{ path: "JobSpec.model", message: (error as Error).message }]);
    }
    const needed = minimumUpdates(spec.strategy);
    if (spec.clients.min < needed) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.clients.min", message: `${spec.strategy.name} needs at least ${needed} updates per round` },
      ]);
    }
    if (spec.secureAggregation !== undefined) {
      try {
        secAggScale(spec.secureAggregation, spec.clients.max);
      } catch (error) {
        throw new InvalidInputError("JobSpec", [
          { path: "JobSpec.secureAggregation.quantisation", message: (error as Error).message },
        ]);
      }
    }
    if (spec.scoring.method !== "examples") {
      await this.#checkLabelledSet(spec, "validation set", spec.scoring.validationSetCid);
    }
    if (spec.strategy.name === "fltrust") {
      await this.#checkLabelledSet(spec, "root dataset", spec.strategy.rootDatasetCid);
    }
    if (spec.attestation?.required === true && this.config.chain?.attestationRegistry === undefined) {
      throw new InvalidInputError("JobSpec", [
        {
          path: "JobSpec.attestation.required",
          message:
            "this coordinator cannot run a job requiring attested trainers: it has no AttestationRegistry configured (chain.attestationRegistry, TRIBUTARY_ATTESTATION_REGISTRY)",
        },
      ]);
    }
    return layout;
  }

  /** A validation set or FLTrust root dataset the spec names: uploaded, decodable, of the model's input shape. */
  async #checkLabelledSet(spec: JobSpec, what: "validation set" | "root dataset", cid: string): Promise<void> {
    const path = what === "validation set" ? "JobSpec.scoring.validationSetCid" : "JobSpec.strategy.rootDatasetCid";
    let set: ReturnType<typeof decodeValidationSet>;
    try {
      set = decodeValidationSet(await this.blobs.get(cid));
    } catch (error) {
      const message =
        error instanceof BlobNotFoundError
          ? `no ${what} was uploaded with this CID (POST /validation-sets)`
          : `is not a ${what} (encodeValidationSet's format): ${(error as Error).message}`;
      throw new InvalidInputError("JobSpec", [{ path, message }]);
    }
    const expected = spec.model.inputShape.join("×");
    if (set.featureShape.join("×") !== expected) {
      throw new InvalidInputError("JobSpec", [
        { path, message: `holds ${set.featureShape.join("×")} features, the model takes ${expected}` },
      ]);
    }
  }

  async #start(
    spec: JobSpec,
    layout: ModelLayout,
    options: { id?: string; onChain: boolean; researcher: string },
  ): Promise<JobEntity> {
    const bytes = weightsToBytes(initialModel(layout));
    const { cid, sha256 } = await this.blobs.put(bytes);
    const created = await this.transactions.run(async (tx) => {
      const job = await this.jobs.create(tx, {
        ...(options.id === undefined ? {} : { id: options.id }),
        spec,
        layout,
        modelCid: cid,
        onChain: options.onChain,
        researcher: options.researcher.toLowerCase(),
      });
      await this.models.add(tx, { cid, jobId: job.id, round: -1, sha256, byteLength: bytes.byteLength });
      if (options.id !== undefined) {
        await this.chainJobs.markAdopted(tx, options.id, job.id);
        // Accepting on chain stops the researcher from cancelling between round 1's work and its anchor; round 0's
        // instructions go out only once this intent is confirmed (see `RoundDriver`).
        await this.outbox.enqueue(tx, { kind: "acceptJob", args: { jobId: job.id } });
      }
      return job;
    });
    this.trainers.sendToDatasets(spec.datasetIds, SOCKET_EVENTS.jobOpened, { jobId: created.id });
    return created;
  }

  list(): Promise<JobEntity[]> {
    return this.jobs.list();
  }

  async get(id: string): Promise<JobEntity> {
    const job = await this.jobs.findById(id);
    if (job === null) throw new NotFoundError("job", id);
    return job;
  }

  /** Stops a running job; rounds in flight are abandoned and their late updates rejected. */
  async cancel(id: string): Promise<JobEntity> {
    const existing = await this.get(id);
    if (existing.onChain) {
      throw new ConflictError(
        `job ${id} runs on TrainingJobs, which is its authority: its researcher cancels it there with cancelJob, and the coordinator follows the chain`,
        { onChain: true },
      );
    }
    if (!(await this.jobs.cancel(id))) {
      const job = await this.get(id);
      throw new ConflictError(`job ${id} is ${job.status} and cannot be cancelled`, { status: job.status });
    }
    const job = await this.get(id);
    this.trainers.sendToDatasets(job.spec.datasetIds, SOCKET_EVENTS.jobClosed, { jobId: id, status: "cancelled" });
    this.changes?.changed({ jobId: id, what: "ended" });
    return job;
  }
}
