import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger, Optional } from "@nestjs/common";
import { aggregateRound, type RoundResult } from "@tributary/aggregation";
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
  roundLearningRate,
  type TrainInstruction,
  weightsToBytes,
  weightsView,
} from "@tributary/protocol";
import { BlobStore, sha256OfCid } from "../blobs/blob-store.js";
import { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import { acceptJobKey } from "../chain/chain-intent.js";
import { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import { ChainJobRepository } from "../chain/chain-job.repository.js";
import { ConflictError, NotFoundError } from "../common/coordinator-errors.js";
import { CoordinatorMetrics } from "../common/coordinator-metrics.js";
import { type Transaction, TransactionRunner } from "../database/transaction-runner.repository.js";
import type { JobEntity, JobPayout } from "../jobs/job.entity.js";
import { JobRepository } from "../jobs/job.repository.js";
import { chooseReturnedModel } from "../jobs/returned-model.js";
import { ModelRepository } from "../models/model.repository.js";
import type { AssignmentEntity } from "./assignment.entity.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { JobLeases } from "./job-leases.js";
import { RootUpdates } from "./root-updates.js";
import type { RoundEntity, RoundScoring } from "./round.entity.js";
import { RoundRepository } from "./round.repository.js";
import { trainRoundMetrics, weightedAverage } from "./round-metrics.js";
import { scoreRound } from "./score-round.js";
import { secAggAverageDelta } from "./secagg-average.js";
import { type SecAggOutcome, SecAggRounds } from "./secagg-rounds.js";
import { type AggregationInput, UpdateRepository } from "./update.repository.js";
import { ValidationEvaluators } from "./validation-evaluators.js";

/** Strategies whose aggregation streams the deltas through one accumulator (`aggregateRound`). */
const FEDAVG_FAMILY = new Set(["fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi"]);

const newNonce = () => `0x${randomBytes(32).toString("hex")}` as Bytes32;

/**
 * The persisted transitions of a round. Each method commits one transition with a guard on the state it leaves,
 * so running it twice (after a crash, or from two callers) changes nothing the second time.
 */
@Injectable()
export class RoundsService {
  readonly #logger = new Logger("rounds");

  constructor(
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(RoundRepository) private readonly rounds: RoundRepository,
    @Inject(AssignmentRepository) private readonly assignments: AssignmentRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(ChainJobRepository) private readonly chainJobs: ChainJobRepository,
    @Inject(ChainIntentRepository) private readonly outbox: ChainIntentRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(ValidationEvaluators) private readonly validation: ValidationEvaluators,
    @Inject(ChainDatasetRepository) private readonly chainDatasets: ChainDatasetRepository,
    @Inject(SecAggRounds) private readonly secAgg: SecAggRounds,
    @Inject(RootUpdates) private readonly rootUpdates: RootUpdates,
    @Optional() @Inject(CoordinatorMetrics) private readonly metrics?: CoordinatorMetrics,
    @Optional() @Inject(JobLeases) private readonly leases?: JobLeases,
  ) {}

  /** Inside a transition's transaction: only the replica holding the job's lease may commit it. */
  async #fence(tx: Transaction, jobId: string): Promise<void> {
    await this.leases?.fence(tx, jobId);
  }

  /** A job's rounds with each selected trainer's assignment (404 for an unknown job). */
  async listForJob(jobId: string): Promise<(RoundEntity & { assignments: AssignmentEntity[] })[]> {
    if ((await this.jobs.findById(jobId)) === null) throw new NotFoundError("job", jobId);
    const rounds = await this.rounds.listForJob(jobId);
    const assignments = await this.assignments.findByJob(jobId);
    return rounds.map((round) => ({ ...round, assignments: assignments.filter((a) => a.round === round.round) }));
  }

  /**
   * Opens round `job.round` for the selected trainers, each with a fresh nonce; returns the round and its assignments
   * as written (so the caller sends the instructions without reading them back).
   */
  async open(
    job: JobEntity,
    kind: "train" | "evaluate",
    trainers: readonly string[],
  ): Promise<{ round: RoundEntity; assignments: AssignmentEntity[] }> {
    const now = new Date();
    const round: RoundEntity = {
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
      updatesRoot: null,
      scoring: null,
      extensions: 0,
    };
    const assignments = await this.transactions.run(async (tx) => {
      await this.#fence(tx, job.id);
      const { updatesRoot: _root, scoring: _scoring, extensions: _extensions, ...row } = round;
      await this.rounds.open(tx, row);
      return this.#assign(tx, job, trainers);
    });
    this.#logger.log(`job ${job.id} round ${job.round} (${kind}) opened for ${trainers.length} trainer(s)`);
    return { round, assignments };
  }

  /** Adds trainers to a collecting round (replacing drop-outs) and pushes its deadline out by one timeout. */
  async topUp(job: JobEntity, trainers: readonly string[]): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.#fence(tx, job.id);
      if (trainers.length > 0) await this.#assign(tx, job, trainers);
      await this.rounds.extendDeadline(tx, job.id, job.round, new Date(Date.now() + job.spec.roundTimeoutS * 1000));
    });
  }

  /** One INSERT for all of them (`insertPending`): one statement per trainer made opening a round O(n) round trips. */
  async #assign(tx: Transaction, job: JobEntity, trainers: readonly string[]): Promise<AssignmentEntity[]> {
    const rows = trainers.map((trainer) => ({
      jobId: job.id,
      round: job.round,
      trainer,
      nonce: newNonce(),
      status: "pending" as const,
      reason: null,
      evalMetrics: null,
      evalExamples: null,
    }));
    await this.assignments.insertPending(tx, job.id, job.round, rows);
    return rows;
  }

  /** Freezes the round's answers: nothing more is accepted; unanswered trainers are marked dropped. */
  async close(jobId: string, round: number): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.#fence(tx, jobId);
      if (await this.rounds.close(tx, jobId, round)) await this.assignments.dropPending(tx, jobId, round);
    });
  }

  /**
   * Aggregates a closed training round's updates with the job's strategy, scores each update, stores the new
   * model and the round's leaves, and moves the job to its next round (or to the final evaluation). For an
   * on-chain job the round's anchor is committed to the outbox in the same transaction.
   */
  async aggregate(job: JobEntity, round: RoundEntity): Promise<void> {
    const updates = await this.updates.forAggregation(job.id, round.round);
    const global = bytesToWeights(await this.blobs.get(round.inputModelCid));
    const state = job.optimizerStateCid === null ? null : await this.blobs.get(job.optimizerStateCid);
    const blobs = this.blobs;
    // Validation-set scoring revisits every delta, so they are read once and kept; otherwise they stream.
    const kept: Float32Array[] | undefined = job.spec.scoring.method === "examples" ? undefined : [];
    if (kept !== undefined) for (const update of updates) kept.push(bytesToWeights(await blobs.getOwn(update.cid)));
    // A FedAvg-family accumulator only reads each streamed delta once: it reads the blob's bytes in place. Robust
    // rules hold every delta at once and get copies they own.
    const readOnce = FEDAVG_FAMILY.has(job.spec.strategy.name) ? weightsView : bytesToWeights;
    async function* deltas() {
      for (const [index, update] of updates.entries()) {
        const delta = kept?.[index] ?? readOnce(await blobs.getOwn(update.cid));
        yield { delta, numExamples: update.numExamples };
      }
    }
    const started = performance.now();
    // FLTrust: the server's own update of the round, trained on the root dataset from the round's input model.
    const counts = updates.map((update) => update.numExamples);
    const serverUpdate = await this.rootUpdates.serverUpdate(job, round.round, global, counts);
    const result = await aggregateRound(job.spec.strategy, global, state, deltas, serverUpdate && { serverUpdate });
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
    await this.#commitRound(job, round, { updates, scores, scoring, rejected, result, aggregationMs });
  }

  /**
   * Aggregates a SecAgg+ round from the unmasked sum of its survivors' inputs (`SecAggRounds.outcome`): the FedAvg
   * delta Σ n_i Δ_i / Σ n_i over the survivors steps the strategy like any averaged delta, and each survivor is
   * scored by its committed example count (the coordinator never saw one update), which the round's scoring record
   * says (`computedBy: "secure-aggregation"`). The leaves are the survivors' masked inputs, as stored; an update
   * row of a trainer whose input is not in the sum (it did not share its keys) is a rejected leaf.
   */
  async aggregateSecAgg(job: JobEntity, round: RoundEntity, outcome: SecAggOutcome): Promise<void> {
    const updates = await this.updates.forAggregation(job.id, round.round);
    const survivors = new Set<string>(outcome.result.survivors);
    const rejected = new Set([...updates.keys()].filter((index) => !survivors.has(updates[index]?.trainer ?? "")));
    const examples = updates.reduce(
      (total, update, index) => total + (rejected.has(index) ? 0 : update.numExamples),
      0,
    );
    const global = bytesToWeights(await this.blobs.get(round.inputModelCid));
    const state = job.optimizerStateCid === null ? null : await this.blobs.get(job.optimizerStateCid);
    const { scale, exampleCap, clip } = outcome.instruction;
    const started = performance.now();
    const average = secAggAverageDelta(outcome.result.sum, scale, exampleCap, examples);
    const result = await aggregateRound(job.spec.strategy, global, state, async function* () {
      yield { delta: average, numExamples: 1 };
    });
    const aggregationMs = performance.now() - started;
    const scored = await scoreRound({
      scoring: job.spec.scoring,
      global,
      numExamples: updates.map((u) => u.numExamples),
      rejected,
    });
    const scoring: RoundScoring = {
      ...scored.scoring,
      computedBy: "secure-aggregation",
      secureAggregation: {
        updates: "masked-inputs",
        survivors: outcome.result.survivors.length,
        dropped: [...outcome.result.dropped],
        clip,
        scale,
        exampleCap,
      },
    };
    await this.#commitRound(job, round, { updates, scores: scored.scores, scoring, rejected, result, aggregationMs });
  }

  /** Stores an aggregated round: its leaves and root, the new model, the scores, the job's next round, the anchor. */
  async #commitRound(
    job: JobEntity,
    round: RoundEntity,
    aggregated: {
      updates: readonly AggregationInput[];
      scores: readonly bigint[];
      scoring: RoundScoring;
      rejected: ReadonlySet<number>;
      result: RoundResult;
      aggregationMs: number;
    },
  ): Promise<void> {
    const { updates, scores, scoring, rejected, result, aggregationMs } = aggregated;
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
    // The round's output model on the researcher's validation set, when there is one: the job returns the best.
    const validate = await this.validation.evaluatorFor(job);
    const validated = validate === undefined ? undefined : await validate(result.global);
    const metrics = {
      ...trainRoundMetrics(updates),
      ...(validated === undefined ? {} : { validationLoss: validated.loss, validationAccuracy: validated.accuracy }),
      aggregationMs,
      scoringMs: scoring.elapsedMs,
    };
    const last = round.round + 1 >= job.spec.rounds;
    await this.transactions.run(async (tx) => {
      await this.#fence(tx, job.id);
      const done = await this.rounds.finish(tx, job.id, round.round, {
        outputModelCid: model.cid,
        metrics,
        updatesRoot,
        scoring,
        finishedAt: new Date(),
      });
      if (!done) throw new ConflictError(`round ${round.round} of job ${job.id} was already aggregated`);
      await this.updates.recordScores(tx, job.id, round.round, {
        trainers: updates.map((update) => update.trainer),
        scores: scores.map(String),
        rejected: updates.map((_, index) => rejected.has(index)),
      });
      await this.models.put(tx, {
        cid: model.cid,
        jobId: job.id,
        round: round.round,
        sha256: model.sha256,
        byteLength: bytes.byteLength,
      });
      await this.jobs.finishRound(tx, job.id, round.round, {
        modelCid: model.cid,
        optimizerStateCid: stateCid,
        evaluating: last,
      });
      if (job.onChain) {
        // On chain, rounds count from 1.
        await this.outbox.enqueue(tx, {
          kind: "anchorRound",
          args: { jobId: job.id, round: round.round + 1, updatesRoot, modelHash: model.sha256 },
        });
      }
    });
    this.metrics?.aggregated(job.spec.strategy.name, aggregationMs, scoring.method, scoring.elapsedMs);
    this.metrics?.roundFinished("train", round.startedAt, new Date());
    this.#logger.log(
      `job ${job.id} round ${round.round}: ${updates.length} update(s) aggregated with ${job.spec.strategy.name} in ${aggregationMs.toFixed(1)} ms, scored by ${scoring.method} in ${scoring.elapsedMs.toFixed(1)} ms (${scoring.evaluations} evaluation(s))${job.onChain ? `, anchor queued (root ${updatesRoot})` : ""}`,
    );
  }

  /**
   * Ends the final evaluation round: the job's result is the evaluation weighted by held-out examples, and the
   * model it returns (`chooseReturnedModel`: the best on the validation set when there is one, else the last). An
   * on-chain job's payouts are computed from its cumulative scores and committed, with the `finalizeJob` intent
   * that posts them, in the same transaction that completes the job.
   */
  async finishEvaluation(job: JobEntity, round: RoundEntity): Promise<void> {
    const reports = await this.assignments.evaluatedInRound(job.id, round.round);
    const metrics = weightedAverage(
      reports.map((report) => ({ metrics: report.evalMetrics ?? {}, weight: report.evalExamples ?? 0 })),
    );
    const payout = job.onChain ? await this.#payout(job) : null;
    const returned = chooseReturnedModel(await this.rounds.doneTrainingRounds(job.id));
    await this.transactions.run(async (tx) => {
      await this.#fence(tx, job.id);
      const done = await this.rounds.finish(tx, job.id, round.round, {
        metrics: { ...metrics, reports: reports.length },
        finishedAt: new Date(),
      });
      if (!done) return;
      await this.jobs.complete(tx, job.id, metrics, payout, returned);
      if (payout !== null) {
        await this.outbox.enqueue(tx, {
          kind: "finalizeJob",
          args: { jobId: job.id, payoutRoot: payout.payoutRoot, payoutTotal: payout.payoutTotal },
        });
      }
    });
    await this.validation.release(job.id);
    await this.rootUpdates.release(job.id);
    this.metrics?.roundFinished("evaluate", round.startedAt, new Date());
    this.#logger.log(`job ${job.id} completed: ${JSON.stringify(metrics)}`);
    if (payout !== null) {
      this.#logger.log(
        `job ${job.id}: payouts to ${payout.leaves.length} contributor(s), total ${payout.payoutTotal} + fee ${payout.fee}, refund ${payout.refund}; finalizeJob queued`,
      );
    }
  }

  /**
   * The payouts of an on-chain job from its escrow: each contributor's dataset's `pricePerRound` (DatasetRegistry)
   * for every round it took part in, then the rest by cumulative score; null if none.
   */
  async #payout(job: JobEntity): Promise<JobPayout | null> {
    const chainJob = await this.chainJobs.findById(job.id);
    if (chainJob === null) throw new ConflictError(`job ${job.id} runs on chain but its on-chain record is missing`);
    const rows = await this.updates.contributions(job.id);
    const cumulative = new Map(rows.map((row) => [row.trainer.toLowerCase(), BigInt(row.score ?? "0")]));
    const contributions = await Promise.all(
      rows.map(async (row) => {
        const price = (await this.chainDatasets.findById(row.datasetId))?.pricePerRound ?? "0";
        const floor = BigInt(price) * BigInt(row.rounds);
        return { trainer: row.trainer.toLowerCase() as Address, score: BigInt(row.score ?? "0"), floor };
      }),
    );
    try {
      const plan = computePayouts({ escrow: BigInt(chainJob.reward), feeBps: chainJob.feeBps, contributions });
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
    await this.jobs.fail(job.id, job.status, message);
    this.#logger.error(`job ${job.id} failed: ${message}`);
  }

  /**
   * Fails a job that cannot make progress (too few answers after every deadline extension, too few trainers to
   * start). For an on-chain job the reason says how the researcher gets the escrow back: the coordinator cannot
   * cancel on chain, so it posts nothing more, the job goes stale, and the researcher calls `cancelJob`.
   */
  async failStalled(job: JobEntity, reason: string): Promise<void> {
    let message = reason;
    if (job.onChain) {
      const chainJob = await this.chainJobs.findById(job.id);
      const staleAt =
        chainJob?.staleAt != null && chainJob.roundsAnchored === 0
          ? ` (no anchor yet: stale from ${new Date(Number(chainJob.staleAt) * 1000).toISOString()})`
          : "";
      message += `; on chain: no more anchors and no finalizeJob will be sent, so the job goes stale after its staleJobTimeout without activity${staleAt}, and its researcher then refunds the escrow with TrainingJobs.cancelJob(${job.id})`;
    }
    await this.jobs.setStatusMessage(job.id, null);
    await this.fail(job, message);
  }

  /** Records why a running job is not moving (null once it moves again); writes only a change. */
  async setStatusMessage(job: JobEntity, message: string | null): Promise<void> {
    if (job.statusMessage === message) return;
    await this.jobs.setStatusMessage(job.id, message);
    if (message !== null) this.#logger.warn(`job ${job.id}: ${message}`);
  }

  /**
   * Where an on-chain job's acceptance stands: its round 0 opens only once `acceptJob` is confirmed on chain, so
   * the researcher can no longer cancel once trainers start working. An adopted job whose intent is missing (adopted
   * before acceptance existed) gets it now.
   */
  async acceptance(job: JobEntity): Promise<{ state: "confirmed" | "waiting" | "failed"; detail: string }> {
    const intent = await this.outbox.latest(acceptJobKey(job.id));
    if (intent === null) {
      await this.transactions.run((tx) => this.outbox.enqueue(tx, { kind: "acceptJob", args: { jobId: job.id } }));
      return { state: "waiting", detail: "pending" };
    }
    if (intent.status === "confirmed") return { state: "confirmed", detail: "confirmed" };
    if (intent.status === "failed") return { state: "failed", detail: intent.lastError ?? "failed" };
    return { state: "waiting", detail: `${intent.status}${intent.lastError === null ? "" : `: ${intent.lastError}`}` };
  }

  /** A trainer declined this round (e.g. its privacy budget would be exceeded): it is not waited for. */
  async recordRefusal(trainer: Address, refusal: Refusal): Promise<void> {
    const key = { jobId: refusal.jobId, round: refusal.round, trainer };
    const refused = await this.assignments.refuse(key, refusal.nonce, `${refusal.code}: ${refusal.message}`);
    if (!refused) throw new ConflictError("no pending assignment matches this refusal");
    this.#logger.warn(
      `job ${refusal.jobId} round ${refusal.round}: ${trainer} refused (${refusal.code}): ${refusal.message}`,
    );
  }

  async recordEvaluation(trainer: Address, report: EvaluationReport): Promise<void> {
    const round = await this.rounds.findOne(report.jobId, report.round);
    if (round?.kind !== "evaluate" || round.status !== "collecting") {
      throw new ConflictError(`round ${report.round} of job ${report.jobId} takes no evaluations`);
    }
    const key = { jobId: report.jobId, round: report.round, trainer };
    const recorded = await this.assignments.recordEvaluation(key, report.nonce, report.metrics, report.numExamples);
    if (!recorded) throw new ConflictError("no pending assignment matches this evaluation");
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
    const { localEpochs, batchSize, maxLocalSteps, proximalMu, dp } = job.spec;
    const learningRate = roundLearningRate(
      job.spec.learningRate,
      job.spec.learningRateSchedule,
      round.round,
      job.spec.rounds,
    );
    const secureAggregation = this.secAgg.instructionOf(job.id, round.round);
    return {
      ...common,
      hyperParams: { localEpochs, batchSize, maxLocalSteps, learningRate, proximalMu, dp },
      ...(secureAggregation === undefined ? {} : { secureAggregation }),
    };
  }
}
