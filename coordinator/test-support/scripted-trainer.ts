import { createHash } from "node:crypto";
import { type AttestationDocument, attestationUserData, SimulatedEnclave } from "@tributary/enclave-compute";
import {
  type Ack,
  type Address,
  type Bytes32,
  type DatasetId,
  type DatasetManifest,
  type EvaluateInstruction,
  EvaluateInstructionSchema,
  type Hello,
  HelloSchema,
  handshakeRefusalOf,
  type JobId,
  type ModelUpdateHeader,
  OFF_CHAIN_CHAIN_ID,
  type SignedModelUpdate,
  SOCKET_EVENTS,
  signModelUpdate,
  type TrainInstruction,
  TrainInstructionSchema,
  trainerHandshakeAuth,
  tributaryDomain,
  weightsToBytes,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Socket } from "socket.io-client";
import { type SignInAttempt, trainerSocket } from "./trainer-socket.js";

export type Instruction =
  | { kind: "train"; instruction: TrainInstruction }
  | { kind: "evaluate"; instruction: EvaluateInstruction };

/**
 * A trainer that speaks the real socket protocol (login signature, simulated attestation, EIP-712 signed binary
 * updates) but sends whatever deltas its caller scripts instead of training. Tests use it to drive the
 * coordinator through exact scenarios; `bench:coordinator` uses it for synthetic load.
 */
export class ScriptedTrainer {
  readonly address: Address;
  readonly #queue: Instruction[] = [];
  readonly #waiters: ((instruction: Instruction) => void)[] = [];

  private constructor(
    readonly socket: Socket,
    readonly wallet: Wallet,
    readonly datasetId: DatasetId,
    readonly hello: Hello,
    readonly jobs: JobId[],
    readonly enclave: SimulatedEnclave,
    /** The session the login granted, for REST (`Authorization: Bearer`). */
    readonly token: string,
  ) {
    this.address = wallet.address.toLowerCase() as Address;
    const push = (instruction: Instruction) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#queue.push(instruction);
      else waiter(instruction);
    };
    socket.on(SOCKET_EVENTS.instruction, (payload: unknown) =>
      push({ kind: "train", instruction: TrainInstructionSchema.parse(payload) }),
    );
    socket.on(SOCKET_EVENTS.evaluate, (payload: unknown) =>
      push({ kind: "evaluate", instruction: EvaluateInstructionSchema.parse(payload) }),
    );
  }

  /**
   * Connects and signs in in the handshake (EIP-4361 for `url`, `chainId` and, when given, `verifyingContract`);
   * `auth` replaces the handshake's sign-in (tests relay or forge one). Resolves on the coordinator's hello, then
   * uploads the dataset's `manifest` when given (joining needs one on file).
   */
  static async connect(
    url: string,
    wallet: Wallet,
    datasetId: DatasetId,
    options: {
      chainId?: number;
      verifyingContract?: string | undefined;
      auth?: SignInAttempt;
      manifest?: DatasetManifest | undefined;
    } = {},
  ): Promise<ScriptedTrainer> {
    const auth =
      options.auth ??
      (await trainerHandshakeAuth({
        coordinatorUrl: url,
        signer: wallet,
        chainId: options.chainId ?? OFF_CHAIN_CHAIN_ID,
        verifyingContract: options.verifyingContract,
        datasetId,
      }));
    const socket = trainerSocket(url, auth);
    const hello = await new Promise<Hello>((resolve, reject) => {
      socket.once(SOCKET_EVENTS.hello, (payload: unknown) => resolve(HelloSchema.parse(payload)));
      socket.once("connect_error", (error: Error) => {
        socket.disconnect();
        const refusal = handshakeRefusalOf(error);
        reject(new Error(`login failed: ${refusal?.code ?? "CONNECT_ERROR"}: ${refusal?.message ?? error.message}`));
      });
    });
    const enclave = new SimulatedEnclave({ warn: () => {} });
    // Constructed (listening for instructions) before anything else is awaited.
    const trainer = new ScriptedTrainer(socket, wallet, datasetId, hello, hello.jobs, enclave, hello.token as string);
    if (options.manifest !== undefined) {
      const sent = await socket.emitWithAck(SOCKET_EVENTS.manifest, options.manifest);
      if (!sent.ok) throw new Error(`manifest refused: ${sent.code}: ${sent.message}`);
    }
    return trainer;
  }

  /** Joins a job: gets the attestation challenge, attests with the simulator, returns the final ack. */
  async join(
    jobId: JobId,
    attest?: (userData: Uint8Array, nonce: Uint8Array) => Promise<AttestationDocument>,
  ): Promise<Ack> {
    const challenge = await this.socket.emitWithAck(SOCKET_EVENTS.join, { jobId });
    if (!challenge.ok) return challenge;
    const nonce = challenge.nonce as Bytes32;
    const userData = attestationUserData({ signer: this.address, jobId, coordinatorNonce: nonce });
    const document = await (attest ?? ((u, n) => this.enclave.attest(u, n)))(
      userData,
      Buffer.from(nonce.slice(2), "hex"),
    );
    return this.socket.emitWithAck(SOCKET_EVENTS.attest, { jobId, kind: document.kind, document: document.bytes });
  }

  /** The next instruction the coordinator sent (waits for one). */
  next(timeoutMs = 30_000): Promise<Instruction> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (instruction: Instruction) => {
        clearTimeout(timer);
        resolve(instruction);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.address}: no instruction within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** An update header for `delta` answering `instruction`, signed by this trainer (or by `signer`, to forge one). */
  async sign(
    instruction: TrainInstruction,
    delta: Float32Array,
    numExamples: number,
    metrics: Record<string, number> = {},
    signer: Pick<Wallet, "signTypedData"> = this.wallet,
  ): Promise<SignedModelUpdate> {
    const header: ModelUpdateHeader = {
      jobId: instruction.jobId,
      round: instruction.round,
      trainer: this.address,
      datasetId: this.datasetId,
      numExamples,
      updateHash: `0x${createHash("sha256").update(weightsToBytes(delta)).digest("hex")}` as Bytes32,
      metrics,
      epsilonSpent: null,
      delta: 0,
      nonce: instruction.nonce,
    };
    const domain = tributaryDomain(this.hello.chainId, this.hello.verifyingContract);
    return signModelUpdate(signer, domain, header);
  }

  /** Sends a signed header and bytes exactly as given (tests tamper with either). */
  send(header: unknown, bytes: Uint8Array): Promise<Ack> {
    return this.socket.emitWithAck(
      SOCKET_EVENTS.update,
      header,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
  }

  async submit(
    instruction: TrainInstruction,
    delta: Float32Array,
    numExamples: number,
    metrics: Record<string, number> = {},
  ): Promise<Ack> {
    return this.send(await this.sign(instruction, delta, numExamples, metrics), weightsToBytes(delta));
  }

  evaluate(instruction: EvaluateInstruction, metrics: Record<string, number>, numExamples: number): Promise<Ack> {
    const { jobId, round, nonce } = instruction;
    return this.socket.emitWithAck(SOCKET_EVENTS.evaluation, { jobId, round, nonce, metrics, numExamples });
  }

  refuse(instruction: TrainInstruction, code: string, message: string): Promise<Ack> {
    const { jobId, round, nonce } = instruction;
    return this.socket.emitWithAck(SOCKET_EVENTS.refusal, { jobId, round, nonce, code, message });
  }

  close(): void {
    this.socket.disconnect();
  }
}
