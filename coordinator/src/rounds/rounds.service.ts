import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import {
  type Address,
  type Bytes32,
  bytesToWeights,
  type EvaluateInstruction,
  type EvaluationReport,
  type JobId,
  type Refusal,
  type TrainInstruction,
  weightsToBytes,
} from "@tributary/protocol";
import type { DataSource } from "typeorm";
import { BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { ConflictError } from "../common/coordinator-errors.js";
import { JobEntity } from "../jobs/job.entity.js";
import { ModelEntity } from "../models/model.entity.js";
import { aggregateRound } from "./aggregate-round.js";
import { AssignmentEntity } from "./assignment.entity.js";
import { RoundEntity } from "./round.entity.js";
import { trainRoundMetrics, weightedAverage } from "./round-metrics.js";
import { UpdateEntity } from "./update.entity.js";

const newNonce = () => `0x${randomBytes(32).toString("hex")}` as Bytes32;

/** Assignment rows per INSERT: 8 parameters each stays far below PostgreSQL's 65,535 bind parameters. */
const ASSIGN_BATCH = 1000;

/**
 * The persisted transitions of a round. Each method commits one transition with a guard on the state it leaves,
 * so running it twice (after a crash, or from two callers) changes nothing the second time.
 */
@Injectable()
export class RoundsService {
  readonly #logger = new Logger("rounds");

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {}

  /** Opens round `job.round` for the selected trainers, each with a fresh nonce. */
  async open(job: JobEntity, kind: "train" | "evaluate", trainers: readonly string[]): Promise<void> {
    const now = new Date();
    await this.db.transaction(async (manager) => {
      await manager.insert(RoundEntity, {
        jobId: job.id,
        round: job.round,
        status: "collecting",
        kind,
        inputModelCid: job.modelCid,
        outputModelCid: null,
        deadline: new Date(now.getTime() + job.spec.roundTimeoutS * 1000),
        metrics: null,
        startedAt: now,
        finishedAt: null,
      });
      await this.#assign(manager, job, trainers);
    });
    this.#logger.log(`job ${job.id} round ${job.round} (${kind}) opened for ${trainers.length} trainer(s)`);
  }

  /** Adds trainers to a collecting round (replacing drop-outs) and pushes its deadline out by one timeout. */
  async topUp(job: JobEntity, trainers: readonly string[]): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (trainers.length > 0) await this.#assign(manager, job, trainers);
      await manager.update(
        RoundEntity,
        { jobId: job.id, round: job.round, status: "collecting" },
        { deadline: new Date(Date.now() + job.spec.roundTimeoutS * 1000) },
      );
    });
  }

  /** Multi-row INSERTs of `ASSIGN_BATCH` rows: one statement per trainer made opening a round O(n) round trips. */
  async #assign(manager: DataSource["manager"], job: JobEntity, trainers: readonly string[]): Promise<void> {
    for (let start = 0; start < trainers.length; start += ASSIGN_BATCH) {
      await manager.insert(
        AssignmentEntity,
        trainers.slice(start, start + ASSIGN_BATCH).map((trainer) => ({
          jobId: job.id,
          round: job.round,
          trainer,
          nonce: newNonce(),
          status: "pending" as const,
          reason: null,
          evalMetrics: null,
          evalExamples: null,
        })),
      );
    }
  }

  /** Freezes the round's answers: nothing more is accepted; unanswered trainers are marked dropped. */
  async close(jobId: string, round: number): Promise<void> {
    await this.db.transaction(async (manager) => {
      const closed = await manager.update(
        RoundEntity,
        { jobId, round, status: "collecting" },
        { status: "aggregating" },
      );
      if (closed.affected === 1)
        await manager.update(AssignmentEntity, { jobId, round, status: "pending" }, { status: "dropped" });
    });
  }

  /**
   * Aggregates a closed training round's updates with the job's strategy, stores the new model, and moves the
   * job to its next round (or to the final evaluation).
   */
  async aggregate(job: JobEntity, round: RoundEntity): Promise<void> {
    const updates = await this.db
      .getRepository(UpdateEntity)
      .find({ where: { jobId: job.id, round: round.round }, order: { trainer: "ASC" } });
    const global = bytesToWeights(await this.blobs.get(round.inputModelCid));
    const state = job.optimizerStateCid === null ? null : await this.blobs.get(job.optimizerStateCid);
    const blobs = this.blobs;
    async function* deltas() {
      for (const update of updates)
        yield { delta: bytesToWeights(await blobs.get(update.cid)), numExamples: update.numExamples };
    }
    const started = performance.now();
    const result = await aggregateRound(job.spec.strategy, global, state, deltas);
    const aggregationMs = performance.now() - started;
    const bytes = weightsToBytes(result.global);
    const model = await this.blobs.put(bytes);
    const stateCid = result.optimizerState === null ? null : (await this.blobs.put(result.optimizerState)).cid;
    const metrics = { ...trainRoundMetrics(updates), aggregationMs };
    const last = round.round + 1 >= job.spec.rounds;
    await this.db.transaction(async (manager) => {
      const done = await manager.update(
        RoundEntity,
        { jobId: job.id, round: round.round, status: "aggregating" },
        { status: "done", outputModelCid: model.cid, metrics, finishedAt: new Date() },
      );
      if (done.affected !== 1) throw new ConflictError(`round ${round.round} of job ${job.id} was already aggregated`);
      await manager.upsert(
        ModelEntity,
        { cid: model.cid, jobId: job.id, round: round.round, sha256: model.sha256, byteLength: bytes.byteLength },
        ["cid"],
      );
      await manager.update(
        JobEntity,
        { id: job.id, round: round.round, status: "running" },
        {
          round: round.round + 1,
          modelCid: model.cid,
          optimizerStateCid: stateCid,
          status: last ? "evaluating" : "running",
        },
      );
    });
    this.#logger.log(
      `job ${job.id} round ${round.round}: ${updates.length} update(s) aggregated with ${job.spec.strategy.name} in ${aggregationMs.toFixed(1)} ms`,
    );
  }

  /** Ends the final evaluation round: the job's result is the evaluation weighted by held-out examples. */
  async finishEvaluation(job: JobEntity, round: RoundEntity): Promise<void> {
    const reports = await this.db
      .getRepository(AssignmentEntity)
      .findBy({ jobId: job.id, round: round.round, status: "evaluated" });
    const metrics = weightedAverage(
      reports.map((report) => ({ metrics: report.evalMetrics ?? {}, weight: report.evalExamples ?? 0 })),
    );
    await this.db.transaction(async (manager) => {
      const done = await manager.update(
        RoundEntity,
        { jobId: job.id, round: round.round, status: "aggregating" },
        { status: "done", metrics: { ...metrics, reports: reports.length }, finishedAt: new Date() },
      );
      if (done.affected === 1) {
        await manager.update(
          JobEntity,
          { id: job.id, status: "evaluating" },
          { status: "completed", finalMetrics: metrics },
        );
      }
    });
    this.#logger.log(`job ${job.id} completed: ${JSON.stringify(metrics)}`);
  }

  async fail(job: JobEntity, message: string): Promise<void> {
    await this.db
      .getRepository(JobEntity)
      .update({ id: job.id, status: job.status }, { status: "failed", error: message });
    this.#logger.error(`job ${job.id} failed: ${message}`);
  }

  /** A trainer declined this round (e.g. its privacy budget would be exceeded): it is not waited for. */
  async recordRefusal(trainer: Address, refusal: Refusal): Promise<void> {
    const result = await this.db
      .getRepository(AssignmentEntity)
      .update(
        { jobId: refusal.jobId, round: refusal.round, trainer, nonce: refusal.nonce, status: "pending" },
        { status: "refused", reason: `${refusal.code}: ${refusal.message}` },
      );
    if (result.affected !== 1) throw new ConflictError("no pending assignment matches this refusal");
    this.#logger.warn(
      `job ${refusal.jobId} round ${refusal.round}: ${trainer} refused (${refusal.code}): ${refusal.message}`,
    );
  }

  async recordEvaluation(trainer: Address, report: EvaluationReport): Promise<void> {
    const round = await this.db.getRepository(RoundEntity).findOneBy({ jobId: report.jobId, round: report.round });
    if (round?.kind !== "evaluate" || round.status !== "collecting") {
      throw new ConflictError(`round ${report.round} of job ${report.jobId} takes no evaluations`);
    }
    const result = await this.db
      .getRepository(AssignmentEntity)
      .update(
        { jobId: report.jobId, round: report.round, trainer, nonce: report.nonce, status: "pending" },
        { status: "evaluated", evalMetrics: report.metrics, evalExamples: report.numExamples },
      );
    if (result.affected !== 1) throw new ConflictError("no pending assignment matches this evaluation");
  }

  /** What to send a selected trainer: its instruction for the round, with its own nonce. */
  instruction(
    job: JobEntity,
    round: RoundEntity,
    assignment: AssignmentEntity,
  ): TrainInstruction | EvaluateInstruction {
    const common = {
      jobId: job.id as JobId,
      round: round.round,
      modelCid: round.inputModelCid,
      modelHash: sha256OfCid(round.inputModelCid),
      deadline: round.deadline.getTime(),
      nonce: assignment.nonce as Bytes32,
    };
    if (round.kind === "evaluate") return common;
    const { localEpochs, batchSize, learningRate, proximalMu, dp } = job.spec;
    return { ...common, hyperParams: { localEpochs, batchSize, learningRate, proximalMu, dp } };
  }
}
