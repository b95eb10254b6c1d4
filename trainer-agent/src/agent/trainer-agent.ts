import { createHash } from "node:crypto";
import type * as tfl from "@tensorflow/tfjs-layers";
import { attestationUserData, type Enclave } from "@tributary/enclave-compute";
import { buildModel, evaluate, setFlatWeights } from "@tributary/model-runtime";
import {
  type Ack,
  type Address,
  type Bytes32,
  type DatasetId,
  type EvaluateInstruction,
  EvaluateInstructionSchema,
  type Hello,
  HelloSchema,
  JobClosedSchema,
  type JobId,
  JobOpenedSchema,
  type JobSpec,
  loginMessage,
  type ModelUpdateHeader,
  parseInput,
  SOCKET_EVENTS,
  signModelUpdate,
  type TrainInstruction,
  TrainInstructionSchema,
  TributaryError,
  tributaryDomain,
  weightsToBytes,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import { io, type Socket } from "socket.io-client";
import type { Dataset } from "../dataset.js";
import { trainLocal } from "../train-local.js";
import { CoordinatorApi } from "./coordinator-api.js";
import type { PrivacyGuard, RoundPrivacy } from "./privacy-guard.js";

/** What the agent tells its operator (and `npm start`'s progress display). */
export type AgentEvent =
  | { type: "connected"; mode: Hello["mode"] }
  | { type: "disconnected"; reason: string }
  | { type: "joined"; jobId: JobId; simulated: boolean }
  | {
      type: "trained";
      jobId: JobId;
      round: number;
      loss: number;
      evalAccuracy: number;
      epsilonSpent: number | null;
      seconds: number;
    }
  | { type: "refused"; jobId: JobId; round: number; code: string; message: string }
  | { type: "evaluated"; jobId: JobId; round: number; accuracy: number }
  | { type: "rejected"; jobId: JobId; round: number; code: string; message: string }
  | { type: "job-closed"; jobId: JobId; status: string }
  | { type: "error"; message: string };

export interface TrainerAgentOptions {
  readonly coordinatorUrl: string;
  readonly wallet: Wallet;
  readonly datasetId: DatasetId;
  /** The owner's training records; never leave this process. */
  readonly train: Dataset;
  /** Held-out records for federated evaluation of each global model. */
  readonly evaluation: Dataset;
  /** The commitment derived from the local files; must equal the one enrolled for `datasetId`. */
  readonly commitment: Bytes32;
  readonly enclave: Enclave;
  readonly privacy: PrivacyGuard;
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Applied to each round's update (trained − global weights) before it is hashed, signed and sent; the update
   * is sent as it is when absent. A seam for harnesses (the demo and benchmarks plug Byzantine attacks in here).
   */
  readonly updateTransform?: UpdateTransform;
}

/** Maps a round's update (trained − global weights, one float per parameter) to the update to send. */
export type UpdateTransform = (update: Float32Array) => Float32Array;

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
 * job asks) and sending a signed update. It reconnects with exponential backoff and resumes: the coordinator
 * resends the instruction of a round it was selected for.
 */
export class TrainerAgent {
  readonly address: Address;
  readonly #api: CoordinatorApi;
  readonly #models = new Map<JobId, { spec: JobSpec; model: tfl.Sequential }>();
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
    this.#api = new CoordinatorApi(options.coordinatorUrl);
  }

  /** Checks the local data against its enrolment, then connects; resolves after the first login. */
  async start(): Promise<void> {
    const enrolled = await this.#api.datasetCommitment(this.options.datasetId);
    if (enrolled !== this.options.commitment) {
      throw new DatasetNotEnrolledAsError(this.options.datasetId, enrolled, this.options.commitment);
    }
    const socket = io(this.options.coordinatorUrl, {
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    });
    this.#socket = socket;
    const firstLogin = new Promise<void>((resolve, reject) => {
      socket.on(SOCKET_EVENTS.hello, (payload: unknown) => {
        this.#login(parseInput(HelloSchema, payload, "hello")).then(resolve, (error: Error) => {
          this.#emit({ type: "error", message: error.message });
          reject(error);
        });
      });
    });
    socket.on("disconnect", (reason) => {
      this.#loggedIn = Promise.withResolvers<void>();
      this.#emit({ type: "disconnected", reason });
    });
    socket.on(SOCKET_EVENTS.jobOpened, (payload: unknown) => {
      const { jobId } = parseInput(JobOpenedSchema, payload, "job:opened");
      this.#joinOnce(jobId);
    });
    socket.on(SOCKET_EVENTS.jobClosed, (payload: unknown) => {
      const { jobId, status } = parseInput(JobClosedSchema, payload, "job:closed");
      this.#models.get(jobId)?.model.dispose();
      this.#models.delete(jobId);
      this.#emit({ type: "job-closed", jobId, status });
    });
    socket.on(SOCKET_EVENTS.instruction, (payload: unknown) => {
      const instruction = parseInput(TrainInstructionSchema, payload, "instruction");
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#train(instruction));
    });
    socket.on(SOCKET_EVENTS.evaluate, (payload: unknown) => {
      const instruction = parseInput(EvaluateInstructionSchema, payload, "evaluate");
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#evaluate(instruction));
    });
    await firstLogin;
  }

  stop(): void {
    this.#socket?.disconnect();
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
    const socket = this.#socket as Socket;
    const signature = await this.options.wallet.signMessage(loginMessage(hello.nonce));
    const ack = await socket.emitWithAck(SOCKET_EVENTS.login, {
      address: this.address,
      datasetId: this.options.datasetId,
      signature,
    });
    if (!ack.ok) throw new TributaryError(ack.code, `login refused: ${ack.message}`);
    this.#loggedIn.resolve();
    this.#emit({ type: "connected", mode: hello.mode });
    for (const jobId of ack.jobs as JobId[]) this.#joinOnce(jobId);
  }

  async #join(jobId: JobId): Promise<void> {
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
      entry = { spec, model: buildModel(spec.model) };
      this.#models.set(jobId, entry);
    }
    return entry;
  }

  async #train(instruction: TrainInstruction): Promise<void> {
    const started = performance.now();
    const { jobId, round } = instruction;
    const { spec, model } = await this.#modelFor(jobId);
    const global = await this.#api.model(instruction.modelCid, instruction.modelHash);
    setFlatWeights(model, global);
    const before = evaluate(model, this.options.evaluation);
    let roundPrivacy: RoundPrivacy;
    let result: Awaited<ReturnType<typeof trainLocal>>;
    try {
      roundPrivacy = await this.options.privacy.prepareRound({
        jobId,
        round,
        spec,
        datasetSize: this.options.train.count,
      });
      result = await this.#trainLocally(instruction, model, global, roundPrivacy);
    } catch (error) {
      // A refusal (budget, owner policy, bad hyper-parameters) is reported so the coordinator does not wait for us.
      if (!(error instanceof TributaryError)) throw error;
      const refusal = {
        jobId,
        round,
        nonce: instruction.nonce,
        code: error.code,
        message: error.message.slice(0, 2000),
      };
      const done: AgentEvent = { type: "refused", jobId, round, code: error.code, message: error.message };
      await this.#deliver(instruction.nonce, SOCKET_EVENTS.refusal, [refusal], done);
      return;
    }
    // The privacy cost is recorded on disk before anything derived from the data leaves this process.
    const spend = await roundPrivacy.commit();
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
      metrics: {
        loss: result.metrics.loss,
        accuracy: result.metrics.accuracy,
        evalLoss: before.loss,
        evalAccuracy: before.accuracy,
        evalExamples: before.numExamples,
      },
      epsilonSpent: spend.epsilonSpent,
      delta: spend.delta,
      nonce: instruction.nonce,
    };
    const signed = await signModelUpdate(
      this.options.wallet,
      tributaryDomain(hello.chainId, hello.verifyingContract),
      header,
    );
    await this.#deliver(instruction.nonce, SOCKET_EVENTS.update, [signed, Buffer.from(bytes)], {
      type: "trained",
      jobId,
      round,
      loss: result.metrics.loss,
      evalAccuracy: before.accuracy,
      epsilonSpent: spend.epsilonSpent,
      seconds: (performance.now() - started) / 1000,
    });
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
    return trainLocal({
      model,
      dataset: this.options.train,
      epochs: instruction.hyperParams.localEpochs,
      batchSize: instruction.hyperParams.batchSize,
      learningRate: instruction.hyperParams.learningRate,
      proximalMu: instruction.hyperParams.proximalMu,
      globalWeights: global,
      ...privacy.training,
      seed: `${instruction.jobId}/${instruction.round}/${this.address}`,
    });
  }

  async #evaluate(instruction: EvaluateInstruction): Promise<void> {
    const { model } = await this.#modelFor(instruction.jobId);
    setFlatWeights(model, await this.#api.model(instruction.modelCid, instruction.modelHash));
    const result = evaluate(model, this.options.evaluation);
    const { jobId, round, nonce } = instruction;
    const report = {
      jobId,
      round,
      nonce,
      numExamples: result.numExamples,
      metrics: { evalLoss: result.loss, evalAccuracy: result.accuracy },
    };
    await this.#deliver(nonce, SOCKET_EVENTS.evaluation, [report], {
      type: "evaluated",
      jobId,
      round,
      accuracy: result.accuracy,
    });
  }
}
