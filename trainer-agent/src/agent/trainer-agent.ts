import { createHash } from "node:crypto";
import type * as tfl from "@tensorflow/tfjs-layers";
import { attestationUserData } from "@tributary/enclave-compute";
import { buildModel, evaluate, setFlatWeights } from "@tributary/model-runtime";
import { PrivacyBudgetExceededError } from "@tributary/privacy";
import {
  type Ack,
  type Address,
  type Bytes32,
  type EvaluateInstruction,
  EvaluateInstructionSchema,
  type Hello,
  HelloSchema,
  JobClosedSchema,
  type JobId,
  JobOpenedSchema,
  type JobSpec,
  type ModelUpdateHeader,
  OFF_CHAIN_CHAIN_ID,
  parseInput,
  SOCKET_EVENTS,
  signIn,
  signModelUpdate,
  type TrainInstruction,
  TrainInstructionSchema,
  TributaryError,
  trainerHandshakeAuth,
  tributaryDomain,
  weightsToBytes,
} from "@tributary/protocol";
import type { Socket } from "socket.io-client";
import type { z } from "zod";
import { trainLocal } from "../train-local.js";
import { CoordinatorApi } from "./coordinator-api.js";
import { CoordinatorConnection } from "./coordinator-connection.js";
import { checkTrainInstruction } from "./instruction-checks.js";
import { type JobAdmission, JobRefusedError, OFF_CHAIN_ADMISSION } from "./job-admission.js";
import { uploadManifest } from "./manifest-upload.js";
import type { RoundPrivacy } from "./privacy-guard.js";
import type { AgentEvent, TrainerAgentOptions } from "./trainer-agent-options.js";

export class DatasetNotEnrolledAsError extends TributaryError {
  constructor(datasetId: string, enrolled: string, local: string) {
    super(
      "DATASET_COMMITMENT_MISMATCH",
      `the local data (commitment ${local}) is not what dataset ${datasetId} enrolled (${enrolled})`,
      {
        details: { datasetId, enrolled, local },
      },
    );
  }
}

/**
 * The data owner's daemon: logs in to the coordinator with its key, joins the jobs that train on its dataset
 * (attesting from its enclave), and answers each round's instruction by training locally (with DP-SGD when the
 * job asks) and sending a signed update. It reconnects with exponential backoff, signing in afresh each time, and
 * resumes: the coordinator resends the instruction of a round it was selected for.
 *
 * It trusts the coordinator with nothing the owner has not agreed to: a job is admitted on the owner's terms
 * (`JobAdmission`) before any record is read; a round trains only with the job spec's hyper-parameters, accounted
 * and charged to the privacy budget from those very hyper-parameters before training; evaluations are counted
 * against the owner's allowance, and metrics leave only as the owner allows (`EvaluationAllowance`).
 */
export class TrainerAgent {
  readonly address: Address;
  readonly #api: CoordinatorApi;
  readonly #admission: JobAdmission;
  readonly #models = new Map<JobId, { spec: JobSpec; model: tfl.Sequential }>();
  #connection: CoordinatorConnection | undefined;
  #socket: Socket | undefined;
  #hello: Hello | undefined;
  /** Instruction nonces already taken on: the coordinator resends after reconnects; the work happens once. */
  readonly #seen = new Set<string>();
  /** Jobs joined (or being joined) on the current connection. */
  #joined = new Set<JobId>();
  /** Answers not yet acknowledged, by instruction nonce: resent until the coordinator takes or refuses them. */
  readonly #outbox = new Map<string, { event: string; args: unknown[]; done: AgentEvent }>();
  #loggedIn = Promise.withResolvers<void>();
  #work: Promise<void> = Promise.resolve();

  constructor(private readonly options: TrainerAgentOptions) {
    this.address = options.wallet.address.toLowerCase() as Address;
    // A session outlives no restart and expires: on a 401 the agent signs in again with its own key.
    this.#api = new CoordinatorApi(
      options.coordinatorUrl,
      async () =>
        (await signIn(options.coordinatorUrl, options.wallet, this.#admission.chainId ?? OFF_CHAIN_CHAIN_ID)).token,
    );
    this.#admission = options.admission ?? OFF_CHAIN_ADMISSION;
  }

  /** Checks the local data against its enrolment, then connects; resolves after the first login. */
  async start(): Promise<void> {
    const enrolled = await this.#api.datasetCommitment(this.options.datasetId);
    if (enrolled !== this.options.commitment) {
      throw new DatasetNotEnrolledAsError(this.options.datasetId, enrolled, this.options.commitment);
    }
    this.#emit({ type: "notice", message: this.#admission.description });
    // Signed in in the handshake, afresh on every (re)connection, for the coordinator URL, chain and TrainingJobs
    // of this agent's own configuration (never what the coordinator says): a login cannot be relayed elsewhere.
    const firstLogin = Promise.withResolvers<void>();
    const connection = new CoordinatorConnection({
      coordinatorUrl: this.options.coordinatorUrl,
      signIn: () =>
        trainerHandshakeAuth({
          coordinatorUrl: this.options.coordinatorUrl,
          signer: this.options.wallet,
          chainId: this.#admission.chainId ?? OFF_CHAIN_CHAIN_ID,
          verifyingContract: this.#admission.trainingJobs,
          datasetId: this.options.datasetId,
        }),
      onError: (message) => this.#emit({ type: "error", message }),
      // A refused sign-in (wrong key for the dataset, a coordinator at another origin…) is final, not retried.
      onRefused: (error) => {
        this.#emit({ type: "error", message: error.message });
        firstLogin.reject(error);
      },
    });
    this.#connection = connection;
    const socket = connection.socket;
    this.#socket = socket;
    socket.on(SOCKET_EVENTS.hello, (payload: unknown) => {
      this.#login(parseInput(HelloSchema, payload, "hello")).then(firstLogin.resolve, (error: Error) => {
        this.#emit({ type: "error", message: error.message });
        firstLogin.reject(error);
      });
    });
    socket.on("disconnect", (reason) => {
      this.#loggedIn = Promise.withResolvers<void>();
      this.#emit({ type: "disconnected", reason });
    });
    this.#on(socket, SOCKET_EVENTS.jobOpened, JobOpenedSchema, "job:opened", ({ jobId }) => this.#joinOnce(jobId));
    this.#on(socket, SOCKET_EVENTS.jobClosed, JobClosedSchema, "job:closed", ({ jobId, status }) => {
      this.#models.get(jobId)?.model.dispose();
      this.#models.delete(jobId);
      this.#emit({ type: "job-closed", jobId, status });
    });
    this.#on(socket, SOCKET_EVENTS.instruction, TrainInstructionSchema, "instruction", (instruction) => {
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#train(instruction));
    });
    this.#on(socket, SOCKET_EVENTS.evaluate, EvaluateInstructionSchema, "evaluate", (instruction) => {
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#evaluate(instruction));
    });
    connection.open();
    await firstLogin.promise;
  }

  /**
   * Handles the coordinator's `event` with its payload parsed by `schema`. A malformed message is reported as an
   * error event and dropped, never thrown: a lying coordinator cannot crash the owner's agent.
   */
  #on<S extends z.ZodType>(
    socket: Socket,
    event: string,
    schema: S,
    what: string,
    handle: (message: z.output<S>) => void,
  ): void {
    socket.on(event, (payload: unknown) => {
      let message: z.output<S>;
      try {
        message = parseInput(schema, payload, what);
      } catch (error) {
        this.#emit({ type: "error", message: (error as Error).message });
        return;
      }
      handle(message);
    });
  }

  stop(): void {
    this.#connection?.close();
    for (const { model } of this.#models.values()) model.dispose();
    this.#models.clear();
  }

  #emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  #firstTime(nonce: string): boolean {
    if (this.#seen.has(nonce)) return false;
    this.#seen.add(nonce);
    return true;
  }

  #joinOnce(jobId: JobId): void {
    if (this.#joined.has(jobId)) return;
    this.#joined.add(jobId);
    this.#enqueue(() =>
      this.#join(jobId).catch((error: unknown) => {
        this.#joined.delete(jobId);
        throw error;
      }),
    );
  }

  /** Runs work one piece at a time, in arrival order; a failure is reported and does not stop the queue. */
  #enqueue(work: () => Promise<void>): void {
    this.#work = this.#work.then(work).catch((error: Error) => this.#emit({ type: "error", message: error.message }));
  }

  async #login(hello: Hello): Promise<void> {
    this.#hello = hello;
    this.#joined = new Set();
    // Updates are signed under the hello's EIP-712 domain: with a chain, it must be the owner's own.
    const { chainId, trainingJobs } = this.#admission;
    if (chainId !== undefined && (hello.chainId !== chainId || hello.verifyingContract !== trainingJobs)) {
      throw new TributaryError(
        "CHAIN_MISMATCH",
        `the coordinator signs for chain ${hello.chainId} contract ${hello.verifyingContract}; the owner's jobs are on chain ${chainId} TrainingJobs ${trainingJobs}`,
      );
    }
    // The hello follows an accepted handshake sign-in; its session reads the global models of this trainer's jobs.
    if (hello.token !== undefined) this.#api.setSession(hello.token);
    await uploadManifest(this.#socket as Socket, this.options.manifest);
    this.#loggedIn.resolve();
    this.#emit({ type: "connected", mode: hello.mode });
    for (const jobId of hello.jobs) this.#joinOnce(jobId);
  }

  async #join(jobId: JobId): Promise<void> {
    try {
      await this.#admission.admit(jobId);
      await this.#modelFor(jobId);
    } catch (error) {
      if (!(error instanceof JobRefusedError)) throw error;
      // Not joined, and not retried: the job's on-chain terms (or its spec) do not meet the owner's.
      this.#emit({ type: "job-refused", jobId, code: error.code, message: error.message });
      return;
    }
    const socket = this.#socket as Socket;
    const challenge: Ack<{ nonce: Bytes32 }> = await socket.emitWithAck(SOCKET_EVENTS.join, { jobId });
    if (!challenge.ok) throw new TributaryError(challenge.code, `joining job ${jobId}: ${challenge.message}`);
    const userData = attestationUserData({ signer: this.address, jobId, coordinatorNonce: challenge.nonce });
    const document = await this.options.enclave.attest(userData, Buffer.from(challenge.nonce.slice(2), "hex"));
    const ack: Ack<{ simulated: boolean }> = await socket.emitWithAck(SOCKET_EVENTS.attest, {
      jobId,
      kind: document.kind,
      document: Buffer.from(document.bytes),
    });
    if (!ack.ok) throw new TributaryError(ack.code, `attestation for job ${jobId} refused: ${ack.message}`);
    this.#emit({ type: "joined", jobId, simulated: ack.simulated });
  }

  async #modelFor(jobId: JobId): Promise<{ spec: JobSpec; model: tfl.Sequential }> {
    let entry = this.#models.get(jobId);
    if (entry === undefined) {
      const spec = await this.#api.jobSpec(jobId);
      // A spec other than the one the job's terms commit to is refused before it is used for anything.
      await this.#admission.checkSpec(jobId, spec);
      entry = { spec, model: buildModel(spec.model) };
      this.#models.set(jobId, entry);
    }
    return entry;
  }

  async #train(instruction: TrainInstruction): Promise<void> {
    const started = performance.now();
    const { jobId, round, nonce } = instruction;
    const disclosure = this.options.disclosure;
    let prepared: { model: tfl.Sequential; global: Float32Array; privacy: RoundPrivacy };
    let before: ReturnType<typeof evaluate> | undefined;
    let result: Awaited<ReturnType<typeof trainLocal>>;
    try {
      await this.#admission.admit(jobId);
      const { spec, model } = await this.#modelFor(jobId);
      // The round runs with `hyperParams` only if they are the spec's: privacy is accounted from them below.
      checkTrainInstruction(spec, instruction);
      const global = await this.#api.model(instruction.modelCid, instruction.modelHash);
      const privacy = await this.#chargeRound(instruction, spec.rounds);
      prepared = { model, global, privacy };
      setFlatWeights(model, global);
      // The held-out evaluation an update may carry uses the job's allowance; without one the update goes without.
      if (disclosure.wantsUpdateEvaluation && (await disclosure.tryTake(jobId, spec.rounds, this.#budgetSpent()))) {
        before = evaluate(model, this.options.evaluation);
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
    const bytes = weightsToBytes(this.options.updateTransform?.(delta) ?? delta);
    const hello = this.#hello as Hello;
    const header: ModelUpdateHeader = {
      jobId,
      round,
      trainer: this.address,
      datasetId: this.options.datasetId,
      numExamples: result.numExamples,
      updateHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32,
      metrics: disclosure.updateMetricsOf(result.metrics, before),
      epsilonSpent: privacy.charged.epsilonSpent,
      delta: privacy.charged.delta,
      nonce,
    };
    const signed = await signModelUpdate(
      this.options.wallet,
      tributaryDomain(hello.chainId, hello.verifyingContract),
      header,
    );
    await this.#deliver(nonce, SOCKET_EVENTS.update, [signed, Buffer.from(bytes)], {
      type: "trained",
      jobId,
      round,
      loss: result.metrics.loss,
      evalAccuracy: before?.accuracy ?? null,
      epsilonSpent: privacy.charged.epsilonSpent,
      seconds: (performance.now() - started) / 1000,
    });
  }

  /** Charges the round's privacy cost (on disk) before any record is read; a job the budget refuses is marked. */
  async #chargeRound(instruction: TrainInstruction, rounds: number): Promise<RoundPrivacy> {
    const { jobId, round, hyperParams } = instruction;
    try {
      return await this.options.privacy.prepareRound({
        jobId,
        round,
        rounds,
        hyperParams,
        datasetSize: this.options.train.count,
      });
    } catch (error) {
      if (error instanceof PrivacyBudgetExceededError) await this.options.disclosure.markBudgetRefused(jobId);
      throw error;
    }
  }

  #budgetSpent(): boolean {
    return this.options.privacy.exhausted();
  }

  async #refuse(jobId: JobId, round: number, nonce: string, error: TributaryError): Promise<void> {
    const refusal = { jobId, round, nonce, code: error.code, message: error.message.slice(0, 2000) };
    const done: AgentEvent = { type: "refused", jobId, round, code: error.code, message: error.message };
    await this.#deliver(nonce, SOCKET_EVENTS.refusal, [refusal], done);
  }

  /**
   * Sends an answer until the coordinator acknowledges it: across disconnects (waiting for the next login) and
   * coordinator restarts (the coordinator persisted the round and resends the same instruction, which is
   * answered from here instead of training again and spending privacy budget twice).
   */
  async #deliver(nonce: string, event: string, args: unknown[], done: AgentEvent): Promise<void> {
    this.#outbox.set(nonce, { event, args, done });
    for (let attempt = 0; ; attempt++) {
      await this.#loggedIn.promise;
      let ack: Ack;
      try {
        ack = await (this.#socket as Socket).timeout(60_000).emitWithAck(event, ...args);
      } catch {
        continue; // no acknowledgement (connection lost or coordinator gone): wait for the next login
      }
      if (ack.ok) {
        this.#outbox.delete(nonce);
        this.#emit(done);
        return;
      }
      if ((ack.code === "NOT_LOGGED_IN" || ack.code === "INTERNAL") && attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** Math.min(attempt, 5)));
        continue;
      }
      this.#outbox.delete(nonce);
      const { jobId, round } = done as { jobId: JobId; round: number };
      this.#emit({ type: "rejected", jobId, round, code: ack.code, message: ack.message });
      return;
    }
  }

  #trainLocally(instruction: TrainInstruction, model: tfl.Sequential, global: Float32Array, privacy: RoundPrivacy) {
    const { hyperParams } = instruction;
    return trainLocal({
      model,
      dataset: this.options.train,
      epochs: hyperParams.localEpochs,
      batchSize: hyperParams.batchSize,
      learningRate: hyperParams.learningRate,
      proximalMu: hyperParams.proximalMu,
      globalWeights: global,
      ...privacy.training,
      seed: `${instruction.jobId}/${instruction.round}/${this.address}`,
    });
  }

  async #evaluate(instruction: EvaluateInstruction): Promise<void> {
    const { jobId, round, nonce } = instruction;
    const disclosure = this.options.disclosure;
    let metrics: Record<string, number> = {};
    let accuracy: number | null = null;
    try {
      await this.#admission.admit(jobId);
      const { spec, model } = await this.#modelFor(jobId);
      // Withheld metrics: nothing computed on the held-out records leaves, so nothing is evaluated or counted.
      if (!disclosure.withheld) {
        await disclosure.take(jobId, spec.rounds, this.#budgetSpent());
        setFlatWeights(model, await this.#api.model(instruction.modelCid, instruction.modelHash));
        const result = evaluate(model, this.options.evaluation);
        metrics = disclosure.disclose({ evalLoss: result.loss, evalAccuracy: result.accuracy });
        accuracy = metrics.evalAccuracy ?? null;
      }
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      await this.#refuse(jobId, round, nonce, error);
      return;
    }
    const report = { jobId, round, nonce, numExamples: this.options.evaluation.count, metrics };
    await this.#deliver(nonce, SOCKET_EVENTS.evaluation, [report], { type: "evaluated", jobId, round, accuracy });
  }
}
