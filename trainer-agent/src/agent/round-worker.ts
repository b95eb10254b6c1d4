import { createHash } from "node:crypto";
import type * as tfl from "@tensorflow/tfjs-layers";
import { evaluate, setFlatWeights } from "@tributary/model-runtime";
import { PrivacyBudgetExceededError } from "@tributary/privacy";
import {
  type Address,
  type Bytes32,
  type EvaluateInstruction,
  type Hello,
  type JobId,
  type ModelUpdateHeader,
  SOCKET_EVENTS,
  signModelUpdate,
  type TrainInstruction,
  TributaryError,
  tributaryDomain,
  weightsToBytes,
} from "@tributary/protocol";
import { SecAggClient } from "@tributary/secure-aggregation";
import { trainLocal } from "../train-local.js";
import type { AnswerOutbox } from "./answer-outbox.js";
import type { CoordinatorApi } from "./coordinator-api.js";
import { checkSecAggInstruction, checkTrainInstruction } from "./instruction-checks.js";
import type { JobAdmission } from "./job-admission.js";
import type { JobModels } from "./job-models.js";
import type { RoundPrivacy } from "./privacy-guard.js";
import { SecAggSession, type SecAggSessionLink, type SecAggSessions, secAggInput } from "./secagg-session.js";
import type { AgentEvent, TrainerAgentOptions } from "./trainer-agent-options.js";

/** What the worker needs of its agent: the owner's options and the pieces the agent keeps for its jobs. */
export interface RoundWorkerContext {
  readonly options: TrainerAgentOptions;
  readonly address: Address;
  readonly admission: JobAdmission;
  readonly models: JobModels;
  readonly api: CoordinatorApi;
  readonly outbox: AnswerOutbox;
  /** The current login's hello: the EIP-712 domain updates are signed under. */
  readonly hello: () => Hello;
  /** Open SecAgg sessions, which the agent hands the coordinator's `secagg:*` messages. */
  readonly secAgg: SecAggSessions;
  readonly emit: (event: AgentEvent) => void;
}

/**
 * Answers the coordinator's instructions on the owner's terms. A train instruction is admitted (the job's terms),
 * checked against the job spec's hyper-parameters, charged to the privacy budget from those very hyper-parameters
 * before a record is read, trained locally and answered with a signed update; an evaluate instruction is counted
 * against the owner's allowance and answered with the metrics the owner discloses. Any refusal is answered as such.
 */
export class RoundWorker {
  constructor(private readonly context: RoundWorkerContext) {}

  async train(instruction: TrainInstruction): Promise<void> {
    const started = performance.now();
    const { jobId, round, nonce } = instruction;
    const { options, admission, models, api } = this.context;
    const disclosure = options.disclosure;
    let prepared: { model: tfl.Sequential; global: Float32Array; privacy: RoundPrivacy };
    let before: ReturnType<typeof evaluate> | undefined;
    let result: Awaited<ReturnType<typeof trainLocal>>;
    try {
      await admission.admit(jobId);
      const { spec, model } = await models.get(jobId);
      // The round runs with `hyperParams` only if they are the spec's: privacy is accounted from them below.
      checkTrainInstruction(spec, instruction);
      checkSecAggInstruction(spec, instruction, this.context.address);
      const global = await api.model(instruction.modelCid, instruction.modelHash);
      const privacy = await this.#chargeRound(instruction, spec.rounds);
      prepared = { model, global, privacy };
      setFlatWeights(model, global);
      // The held-out evaluation an update may carry uses the job's allowance; without one the update goes without.
      if (disclosure.wantsUpdateEvaluation && (await disclosure.tryTake(jobId, spec.rounds, this.#budgetSpent()))) {
        before = evaluate(model, options.evaluation);
      }
      result = await this.#trainLocally(instruction, model, global, privacy);
    } catch (error) {
      // A refusal (terms, hyper-parameters, budget, owner policy) is reported so the coordinator does not wait.
      if (!(error instanceof TributaryError)) throw error;
      await this.#refuse(jobId, round, nonce, error);
      return;
    }
    const { global, privacy } = prepared;
    const delta = new Float32Array(global.length);
    for (let index = 0; index < delta.length; index++)
      delta[index] = (result.weights[index] as number) - (global[index] as number);
    const update = options.updateTransform?.(delta) ?? delta;
    const hello = this.context.hello();
    const send = async (bytes: Uint8Array) => {
      const header: ModelUpdateHeader = {
        jobId,
        round,
        trainer: this.context.address,
        datasetId: options.datasetId,
        numExamples: result.numExamples,
        updateHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32,
        metrics: disclosure.updateMetricsOf(result.metrics, before),
        epsilonSpent: privacy.charged.epsilonSpent,
        delta: privacy.charged.delta,
        nonce,
      };
      const signed = await signModelUpdate(
        options.wallet,
        tributaryDomain(hello.chainId, hello.verifyingContract),
        header,
      );
      await this.context.outbox.deliver(SOCKET_EVENTS.update, [signed, Buffer.from(bytes)], {
        type: "trained",
        jobId,
        round,
        loss: result.metrics.loss,
        evalAccuracy: before?.accuracy ?? null,
        epsilonSpent: privacy.charged.epsilonSpent,
        seconds: (performance.now() - started) / 1000,
      });
    };
    const secAgg = instruction.secureAggregation;
    if (secAgg === undefined) {
      await send(weightsToBytes(update));
      return;
    }
    // Secure aggregation: the update leaves only masked, through the SecAgg+ stages the coordinator drives; the
    // session answers them as they come (`secagg:*` events), without holding up the agent's next piece of work.
    try {
      const words = secAggInput(update, result.numExamples, secAgg, privacy.distributed);
      const context = {
        jobId,
        round,
        domain: tributaryDomain(hello.chainId, hello.verifyingContract),
        participants: secAgg.participants,
        threshold: secAgg.threshold,
        neighbours: secAgg.neighbours,
        length: words.length,
      };
      const client = new SecAggClient(context, this.context.address, options.wallet);
      const session = new SecAggSession(client, words, this.#secAggLink(jobId, round, send));
      this.context.secAgg.add(jobId, round, session);
      void session.start().catch((error: Error) => this.context.emit({ type: "error", message: error.message }));
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      await this.#refuse(jobId, round, nonce, error);
    }
  }

  /** How a round's SecAgg session sends through the outbox, and what the agent's operator is told. */
  #secAggLink(jobId: JobId, round: number, send: (bytes: Uint8Array) => Promise<void>): SecAggSessionLink {
    const events = {
      "advertise-keys": SOCKET_EVENTS.secAggAdvertiseKeys,
      "share-keys": SOCKET_EVENTS.secAggShareKeys,
      unmasking: SOCKET_EVENTS.secAggUnmasking,
    } as const;
    return {
      send: async (stage, message) => {
        if (stage === "masked-input") throw new Error("the masked input is sent as the round's update");
        await this.context.outbox.deliver(events[stage], [message], { type: "secagg", jobId, round, stage });
      },
      sendMasked: async (bytes) => {
        await send(bytes);
        this.context.emit({ type: "secagg", jobId, round, stage: "masked-input" });
      },
      refused: (error) =>
        this.context.emit({ type: "secagg-refused", jobId, round, code: error.code, message: error.message }),
    };
  }

  async evaluate(instruction: EvaluateInstruction): Promise<void> {
    const { jobId, round, nonce } = instruction;
    const { options, admission, models, api } = this.context;
    const disclosure = options.disclosure;
    let metrics: Record<string, number> = {};
    let accuracy: number | null = null;
    try {
      await admission.admit(jobId);
      const { spec, model } = await models.get(jobId);
      // Withheld metrics: nothing computed on the held-out records leaves, so nothing is evaluated or counted.
      if (!disclosure.withheld) {
        await disclosure.take(jobId, spec.rounds, this.#budgetSpent());
        setFlatWeights(model, await api.model(instruction.modelCid, instruction.modelHash));
        const result = evaluate(model, options.evaluation);
        metrics = disclosure.disclose({ evalLoss: result.loss, evalAccuracy: result.accuracy });
        accuracy = metrics.evalAccuracy ?? null;
      }
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      await this.#refuse(jobId, round, nonce, error);
      return;
    }
    const report = { jobId, round, nonce, numExamples: options.evaluation.count, metrics };
    await this.context.outbox.deliver(SOCKET_EVENTS.evaluation, [report], {
      type: "evaluated",
      jobId,
      round,
      accuracy,
    });
  }

  /** Charges the round's privacy cost (on disk) before any record is read; a job the budget refuses is marked. */
  async #chargeRound(instruction: TrainInstruction, rounds: number): Promise<RoundPrivacy> {
    const { jobId, round, hyperParams } = instruction;
    const { options } = this.context;
    try {
      const secAgg = instruction.secureAggregation;
      return await options.privacy.prepareRound({
        jobId,
        round,
        rounds,
        hyperParams,
        datasetSize: options.train.count,
        // A round finishes only with at least `threshold` masked inputs (else it aborts): the noise is shared for that.
        ...(secAgg === undefined ? {} : { secureAggregation: { minSurvivors: secAgg.threshold } }),
      });
    } catch (error) {
      if (error instanceof PrivacyBudgetExceededError) await options.disclosure.markBudgetRefused(jobId);
      throw error;
    }
  }

  #budgetSpent(): boolean {
    return this.context.options.privacy.exhausted();
  }

  async #refuse(jobId: JobId, round: number, nonce: string, error: TributaryError): Promise<void> {
    const refusal = { jobId, round, nonce, code: error.code, message: error.message.slice(0, 2000) };
    const done: AgentEvent = { type: "refused", jobId, round, code: error.code, message: error.message };
    await this.context.outbox.deliver(SOCKET_EVENTS.refusal, [refusal], done);
  }

  #trainLocally(instruction: TrainInstruction, model: tfl.Sequential, global: Float32Array, privacy: RoundPrivacy) {
    const { hyperParams } = instruction;
    return trainLocal({
      model,
      dataset: this.context.options.train,
      epochs: hyperParams.localEpochs,
      batchSize: hyperParams.batchSize,
      maxSteps: hyperParams.maxLocalSteps,
      learningRate: hyperParams.learningRate,
      proximalMu: hyperParams.proximalMu,
      globalWeights: global,
      ...privacy.training,
      seed: `${instruction.jobId}/${instruction.round}/${this.context.address}`,
      threads: this.context.options.trainingThreads ?? 1,
    });
  }
}
