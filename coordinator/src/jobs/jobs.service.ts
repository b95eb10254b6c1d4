import { Inject, Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import {
  decodeValidationSet,
  InvalidInputError,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  layoutFromSpec,
  type ModelLayout,
  parseInput,
  SOCKET_EVENTS,
  weightsToBytes,
} from "@tributary/protocol";
import { type DataSource, In } from "typeorm";
import { BlobNotFoundError, BlobStore } from "../blobs/blob-store.js";
import { ChainDatasetEntity } from "../chain/chain-dataset.entity.js";
import { ChainIndexer } from "../chain/chain-indexer.js";
import type { ChainJobEntity } from "../chain/chain-job.entity.js";
import { resolveJobSpec } from "../chain/job-spec-blob.js";
import { ConflictError, NotFoundError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { DatasetEntity } from "../datasets/dataset.entity.js";
import { ModelEntity } from "../models/model.entity.js";
import { AssignmentEntity } from "../rounds/assignment.entity.js";
import { RoundEntity } from "../rounds/round.entity.js";
import { TrainerSessions } from "../trainers/trainer-sessions.js";
import { initialModel } from "./initial-model.js";
import { JobEntity } from "./job.entity.js";
import { minimumUpdates } from "./strategy-requirements.js";

@Injectable()
export class JobsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** Creates an off-chain job from a researcher's spec: checks it, stores the initial model, and starts it. */
  async create(input: JobSpecInput): Promise<JobEntity> {
    if (this.config.chain !== undefined) {
      throw new ConflictError(
        `this coordinator runs jobs created on TrainingJobs (${this.config.chain.trainingJobs}): upload the JobSpec to POST /chain/job-specs and create the job on chain with the modelSpecHash it returns`,
      );
    }
    const spec: JobSpec = parseInput(JobSpecSchema, input, "JobSpec");
    const layout = await this.#check(spec);
    const known = await this.db.getRepository(DatasetEntity).countBy({ id: In(spec.datasetIds) });
    if (known !== new Set(spec.datasetIds).size) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.datasetIds", message: "names a dataset that is not enrolled" },
      ]);
    }
    return this.#start(spec, layout, { onChain: false });
  }

  /**
   * Runs an on-chain job (a `JobCreated` event naming this coordinator): its JobSpec is the blob whose SHA-256 is
   * the job's `modelSpecHash`, its datasets must be active on DatasetRegistry, and the coordinator job gets the
   * on-chain id. The job is created and marked adopted in one transaction, so it is adopted exactly once.
   */
  async adopt(chainJob: ChainJobEntity): Promise<JobEntity> {
    const spec = await resolveJobSpec(this.blobs, chainJob);
    const layout = await this.#check(spec);
    const active = await this.db
      .getRepository(ChainDatasetEntity)
      .countBy({ datasetId: In(spec.datasetIds), active: true });
    if (active !== new Set(spec.datasetIds).size) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.datasetIds", message: "names a dataset that is not active on DatasetRegistry" },
      ]);
    }
    const existing = await this.db.getRepository(JobEntity).findOneBy({ id: chainJob.jobId });
    if (existing !== null) {
      throw new ConflictError(`job id ${chainJob.jobId} is already taken by an off-chain job of this coordinator`);
    }
    return this.#start(spec, layout, { id: chainJob.jobId, onChain: true });
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
    if (spec.scoring.method !== "examples") await this.#checkValidationSet(spec, spec.scoring.validationSetCid);
    return layout;
  }

  async #checkValidationSet(spec: JobSpec, cid: string): Promise<void> {
    const path = "JobSpec.scoring.validationSetCid";
    let set: ReturnType<typeof decodeValidationSet>;
    try {
      set = decodeValidationSet(await this.blobs.get(cid));
    } catch (error) {
      const message =
        error instanceof BlobNotFoundError
          ? "no validation set was uploaded with this CID (POST /validation-sets)"
          : `is not a validation set: ${(error as Error).message}`;
      throw new InvalidInputError("JobSpec", [{ path, message }]);
    }
    const expected = spec.model.inputShape.join("×");
    if (set.featureShape.join("×") !== expected) {
      throw new InvalidInputError("JobSpec", [
        { path, message: `holds ${set.featureShape.join("×")} features, the model takes ${expected}` },
      ]);
    }
  }

  async #start(spec: JobSpec, layout: ModelLayout, options: { id?: string; onChain: boolean }): Promise<JobEntity> {
    const bytes = weightsToBytes(initialModel(layout));
    const { cid, sha256 } = await this.blobs.put(bytes);
    const created = await this.db.transaction(async (manager) => {
      let job: JobEntity;
      if (options.id === undefined) {
        job = await manager.save(
          manager.create(JobEntity, {
            spec,
            layout,
            status: "running",
            round: 0,
            modelCid: cid,
            optimizerStateCid: null,
            finalMetrics: null,
            error: null,
            onChain: options.onChain,
            payout: null,
          }),
        );
      } else {
        // TypeORM never writes a generated primary key, so the on-chain id goes in by hand.
        await manager.query(
          `INSERT INTO jobs (id, spec, layout, status, round, model_cid, on_chain) VALUES ($1, $2, $3, 'running', 0, $4, $5)`,
          [options.id, JSON.stringify(spec), JSON.stringify(layout), cid, options.onChain],
        );
        job = await manager.findOneByOrFail(JobEntity, { id: options.id });
      }
      await manager.save(
        manager.create(ModelEntity, { cid, jobId: job.id, round: -1, sha256, byteLength: bytes.byteLength }),
      );
      if (options.id !== undefined) await ChainIndexer.markAdopted(manager, options.id, job.id);
      return job;
    });
    this.sessions.sendToDatasets(spec.datasetIds, SOCKET_EVENTS.jobOpened, { jobId: created.id });
    return created;
  }

  list(): Promise<JobEntity[]> {
    return this.db.getRepository(JobEntity).find({ order: { id: "ASC" } });
  }

  async get(id: string): Promise<JobEntity> {
    const job = await this.db.getRepository(JobEntity).findOneBy({ id });
    if (job === null) throw new NotFoundError("job", id);
    return job;
  }

  async rounds(id: string): Promise<(RoundEntity & { assignments: AssignmentEntity[] })[]> {
    await this.get(id);
    const rounds = await this.db.getRepository(RoundEntity).find({ where: { jobId: id }, order: { round: "ASC" } });
    const assignments = await this.db.getRepository(AssignmentEntity).find({ where: { jobId: id } });
    return rounds.map((round) => ({ ...round, assignments: assignments.filter((a) => a.round === round.round) }));
  }

  /** Stops a running job; rounds in flight are abandoned and their late updates rejected. */
  async cancel(id: string): Promise<JobEntity> {
    const result = await this.db
      .getRepository(JobEntity)
      .update({ id, status: In(["running", "evaluating"]) }, { status: "cancelled" });
    if (result.affected === 0) {
      const job = await this.get(id);
      throw new ConflictError(`job ${id} is ${job.status} and cannot be cancelled`, { status: job.status });
    }
    const job = await this.get(id);
    this.sessions.sendToDatasets(job.spec.datasetIds, SOCKET_EVENTS.jobClosed, { jobId: id, status: "cancelled" });
    return job;
  }
}
