import { Inject, Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import {
  InvalidInputError,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  layoutFromSpec,
  parseInput,
  SOCKET_EVENTS,
  weightsToBytes,
} from "@tributary/protocol";
import { type DataSource, In } from "typeorm";
import { BlobStore } from "../blobs/blob-store.js";
import { ConflictError, NotFoundError } from "../common/coordinator-errors.js";
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
  ) {}

  /** Creates a job from a researcher's spec: checks it, stores the initial model, and starts it. */
  async create(input: JobSpecInput): Promise<JobEntity> {
    const spec: JobSpec = parseInput(JobSpecSchema, input, "JobSpec");
    let layout: ReturnType<typeof layoutFromSpec>;
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
    const known = await this.db.getRepository(DatasetEntity).countBy({ id: In(spec.datasetIds) });
    if (known !== new Set(spec.datasetIds).size) {
      throw new InvalidInputError("JobSpec", [
        { path: "JobSpec.datasetIds", message: "names a dataset that is not enrolled" },
      ]);
    }
    const bytes = weightsToBytes(initialModel(layout));
    const { cid, sha256 } = await this.blobs.put(bytes);
    const created = await this.db.transaction(async (manager) => {
      const job = await manager.save(
        manager.create(JobEntity, {
          spec,
          layout,
          status: "running",
          round: 0,
          modelCid: cid,
          optimizerStateCid: null,
          finalMetrics: null,
          error: null,
        }),
      );
      await manager.save(
        manager.create(ModelEntity, { cid, jobId: job.id, round: -1, sha256, byteLength: bytes.byteLength }),
      );
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
