import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { aggregateRound } from "@tributary/aggregation";
import {
  type Address,
  type Bytes32,
  buildPayoutTree,
  buildRoundTree,
  bytesToWeights,
  computePayouts,
  type EvaluateInstruction,
  type EvaluationReport,
  type JobId,
  PayoutInputError,
  type Refusal,
  type TrainInstruction,
  weightsToBytes,
} from "@tributary/protocol";
import type { DataSource } from "typeorm";
import { BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { ChainJobEntity } from "../chain/chain-job.entity.js";
import { enqueueChainIntent } from "../chain/chain-outbox.js";
import { ConflictError } from "../common/coordinator-errors.js";
import { JobEntity, type JobPayout } from "../jobs/job.entity.js";
import { ModelEntity } from "../models/model.entity.js";
import { AssignmentEntity } from "./assignment.entity.js";
import { RoundEntity } from "./round.entity.js";
import { trainRoundMetrics, weightedAverage } from "./round-metrics.js";
import { scoreRound } from "./score-round.js";
import { UpdateEntity } from "./update.entity.js";
import { ValidationEvaluators } from "./validation-evaluators.js";

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
    @Inject(ValidationEvaluators) private readonly validation: ValidationEvaluators,
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
   * Aggregates a closed training round's updates with the job's strategy, scores each update, stores the new
   * model and the round's leaves, and moves the job to its next round (or to the final evaluation). For an
   * on-chain job the round's anchor is committed to the outbox in the same transaction.
   */
  async aggregate(job: JobEntity, round: RoundEntity): Promise<void> {
    const updates = await this.db
      .getRepository(UpdateEntity)
      .find({ where: { jobId: job.id, round: round.round }, order: { trainer: "ASC" } });
    const global = bytesToWeights(await this.blobs.get(round.inputModelCid));
    const state = job.optimizerStateCid === null ? null : await this.blobs.get(job.optimizerStateCid);
    const blobs = this.blobs;
    // Validation-set scoring revisits every delta, so they are read once and kept; otherwise they stream.
    const kept: Float32Array[] | undefined = job.spec.scoring.method === "examples" ? undefined : [];
    if (kept !== undefined) for (const update of updates) kept.push(bytesToWeights(await blobs.get(update.cid)));
    async function* deltas() {
      for (const [index, update] of updates.entries()) {
        const delta = kept?.[index] ?? bytesToWeights(await blobs.get(update.cid));
        yield { delta, numExamples: update.numExamples };
      }
    }
    const started = performance.now();
    const result = await aggregateRound(job.spec.strategy, global, state, deltas);
    const aggregationMs = performance.now() - started;
    const selected = result.selected === null ? null : new Set(result.selected);
    const rejected = new Set(selected === null ? [] : [...updates.keys()].filter((index) => !selected.has(index)));
    const { scores, scoring } = await scoreRound({
      scoring: job.spec.scoring,
      global,
      numExamples: updates.map((update) => update.numExamples),
      deltas: kept,
      rejected,
      validationLoss: await this.validation.lossFor(job),
    });
    const leaves = updates.map((update, index) => ({
      trainer: update.trainer as Address,
      updateHash: update.updateHash as Bytes32,
      numExamples: BigInt(update.numExamples),
      score: scores[index] as bigint,
    }));
    const updatesRoot = buildRoundTree(leaves).root;
    const bytes = weightsToBytes(result.global);
    const model = await this.blobs.put(bytes);
    const stateCid = result.optimizerState === null ? null : (await this.blobs.put(result.optimizerState)).cid;
    const metrics = { ...trainRoundMetrics(updates), aggregationMs, scoringMs: scoring.elapsedMs };
    const last = round.round + 1 >= job.spec.rounds;
    await this.db.transaction(async (manager) => {
      const done = await manager.update(
        RoundEntity,
        { jobId: job.id, round: round.round, status: "aggregating" },
        { status: "done", outputModelCid: model.cid, metrics, updatesRoot, scoring, finishedAt: new Date() },
      );
      if (done.affected !== 1) throw new ConflictError(`round ${round.round} of job ${job.id} was already aggregated`);
      // One statement for the whole round, however many trainers answered.
      await manager.query(
        `UPDATE updates SET score = leaf.score::numeric, rejected = leaf.rejected
           FROM unnest($1::text[], $2::text[], $3::boolean[]) AS leaf (trainer, score, rejected)
          WHERE updates.job_id = $4 AND updates.round = $5 AND updates.trainer = leaf.trainer`,
        [
          updates.map((update) => update.trainer),
          scores.map(String),
          updates.map((_, index) => rejected.has(index)),
          job.id,
          round.round,
        ],
      );
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
      if (job.onChain) {
        // On chain, rounds count from 1.
        await enqueueChainIntent(manager, {
          kind: "anchorRound",
          args: { jobId: job.id, round: round.round + 1, updatesRoot, modelHash: model.sha256 },
        });
      }
    });
    this.#logger.log(
      `job ${job.id} round ${round.round}: ${updates.length} update(s) aggregated with ${job.spec.strategy.name} in ${aggregationMs.toFixed(1)} ms, scored by ${scoring.method} in ${scoring.elapsedMs.toFixed(1)} ms (${scoring.evaluations} evaluation(s))${job.onChain ? `, anchor queued (root ${updatesRoot})` : ""}`,
    );
  }

  /**
   * Ends the final evaluation round: the job's result is the evaluation weighted by held-out examples. An
   * on-chain job's payouts are computed from its cumulative scores and committed, with the `finalizeJob` intent
   * that posts them, in the same transaction that completes the job.
   */
  async finishEvaluation(job: JobEntity, round: RoundEntity): Promise<void> {
    const reports = await this.db
      .getRepository(AssignmentEntity)
      .findBy({ jobId: job.id, round: round.round, status: "evaluated" });
    const metrics = weightedAverage(
      reports.map((report) => ({ metrics: report.evalMetrics ?? {}, weight: report.evalExamples ?? 0 })),
    );
    const payout = job.onChain ? await this.#payout(job) : null;
    await this.db.transaction(async (manager) => {
      const done = await manager.update(
        RoundEntity,
        { jobId: job.id, round: round.round, status: "aggregating" },
        { status: "done", metrics: { ...metrics, reports: reports.length }, finishedAt: new Date() },
      );
      if (done.affected !== 1) return;
      await manager.update(
        JobEntity,
        { id: job.id, status: "evaluating" },
        { status: "completed", finalMetrics: metrics, payout },
      );
      if (payout !== null) {
        await enqueueChainIntent(manager, {
          kind: "finalizeJob",
          args: { jobId: job.id, payoutRoot: payout.payoutRoot, payoutTotal: payout.payoutTotal },
        });
      }
    });
    await this.validation.release(job.id);
    this.#logger.log(`job ${job.id} completed: ${JSON.stringify(metrics)}`);
    if (payout !== null) {
      this.#logger.log(
        `job ${job.id}: payouts to ${payout.leaves.length} contributor(s), total ${payout.payoutTotal} + fee ${payout.fee}, refund ${payout.refund}; finalizeJob queued`,
      );
    }
  }

  /** The payouts of an on-chain job from its escrow and its contributors' cumulative scores; null if none. */
  async #payout(job: JobEntity): Promise<JobPayout | null> {
    const chainJob = await this.db.getRepository(ChainJobEntity).findOneBy({ jobId: job.id });
    if (chainJob === null) throw new ConflictError(`job ${job.id} runs on chain but its on-chain record is missing`);
    const rows: { trainer: string; score: string }[] = await this.db
      .getRepository(UpdateEntity)
      .createQueryBuilder("update")
      .select("update.trainer", "trainer")
      .addSelect("SUM(update.score)::text", "score")
      .where("update.job_id = :jobId", { jobId: job.id })
      .groupBy("update.trainer")
      .getRawMany();
    const cumulative = new Map(rows.map((row) => [row.trainer.toLowerCase(), BigInt(row.score ?? "0")]));
    try {
      const plan = computePayouts({
        escrow: BigInt(chainJob.reward),
        feeBps: chainJob.feeBps,
        contributions: [...cumulative].map(([trainer, score]) => ({ trainer: trainer as Address, score })),
      });
      return {
        payoutRoot: buildPayoutTree(plan.leaves).root,
        payoutTotal: String(plan.payoutTotal),
        fee: String(plan.fee),
        refund: String(plan.refund),
        leaves: plan.leaves.map((leaf) => ({
          trainer: leaf.trainer,
          amount: String(leaf.amount),
          cumulativeScore: String(cumulative.get(leaf.trainer) ?? 0n),
        })),
      };
    } catch (error) {
      if (!(error instanceof PayoutInputError)) throw error;
      this.#logger.error(`job ${job.id}: no payouts can be posted (${error.message}); the researcher can reclaim`);
      return null;
    }
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
