import { attestationUserData } from "@tributary/enclave-compute";
import {
  type Ack,
  type Address,
  type Bytes32,
  EvaluateInstructionSchema,
  type Hello,
  HelloSchema,
  JobClosedSchema,
  type JobId,
  JobOpenedSchema,
  OFF_CHAIN_CHAIN_ID,
  parseInput,
  SecAggNeighbourKeysSchema,
  SecAggSharesDeliverySchema,
  SecAggUnmaskRequestSchema,
  SOCKET_EVENTS,
  signIn,
  TrainInstructionSchema,
  TributaryError,
  trainerHandshakeAuth,
} from "@tributary/protocol";
import type { Socket } from "socket.io-client";
import type { z } from "zod";
import { AnswerOutbox, type Login } from "./answer-outbox.js";
import { CoordinatorApi } from "./coordinator-api.js";
import { CoordinatorConnection } from "./coordinator-connection.js";
import { type JobAdmission, JobRefusedError, OFF_CHAIN_ADMISSION } from "./job-admission.js";
import { JobModels } from "./job-models.js";
import { uploadManifest } from "./manifest-upload.js";
import { RoundWorker } from "./round-worker.js";
import { type SecAggSession, SecAggSessions } from "./secagg-session.js";
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
 * job asks) and sending a signed update (`RoundWorker`, through the `AnswerOutbox`). It reconnects with exponential backoff, signing in afresh each time, and
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
  readonly #models: JobModels;
  readonly #worker: RoundWorker;
  readonly #secAgg = new SecAggSessions();
  #connection: CoordinatorConnection | undefined;
  #socket: Socket | undefined;
  #hello: Hello | undefined;
  /** Instruction nonces already taken on: the coordinator resends after reconnects; the work happens once. */
  readonly #seen = new Set<string>();
  /** Jobs joined (or being joined) on the current connection. */
  #joined = new Set<JobId>();
  /** The current login (hello received and manifest sent on the current connection); resolved anew per login. */
  #loggedIn = Promise.withResolvers<Login>();
  #login: Login | undefined;
  /** Hellos received: a login whose manifest upload outlived its connection is superseded by the next hello. */
  #hellos = 0;
  #work: Promise<void> = Promise.resolve();
  /** Set once the agent stops: nothing queued after that starts. */
  #stopping = false;

  constructor(private readonly options: TrainerAgentOptions) {
    this.address = options.wallet.address.toLowerCase() as Address;
    // A session outlives no restart and expires: on a 401 the agent signs in again with its own key.
    this.#api = new CoordinatorApi(
      options.coordinatorUrl,
      async () =>
        (await signIn(options.coordinatorUrl, options.wallet, this.#admission.chainId ?? OFF_CHAIN_CHAIN_ID)).token,
    );
    this.#admission = options.admission ?? OFF_CHAIN_ADMISSION;
    this.#models = new JobModels(this.#api, this.#admission);
    // Answers are resent until acknowledged: across disconnects they wait for the next login.
    const outbox = new AnswerOutbox({
      loggedIn: () => this.#loggedIn.promise,
      emit: (event) => this.#emit(event),
    });
    this.#worker = new RoundWorker({
      options,
      address: this.address,
      admission: this.#admission,
      models: this.#models,
      api: this.#api,
      outbox,
      hello: () => this.#hello as Hello,
      secAgg: this.#secAgg,
      emit: (event) => this.#emit(event),
    });
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
      this.#logIn(parseInput(HelloSchema, payload, "hello")).then(firstLogin.resolve, (error: Error) => {
        this.#emit({ type: "error", message: error.message });
        firstLogin.reject(error);
      });
    });
    socket.on("disconnect", (reason) => {
      this.#endLogin();
      this.#emit({ type: "disconnected", reason });
    });
    this.#on(socket, SOCKET_EVENTS.jobOpened, JobOpenedSchema, "job:opened", ({ jobId }) => this.#joinOnce(jobId));
    this.#on(socket, SOCKET_EVENTS.jobClosed, JobClosedSchema, "job:closed", ({ jobId, status }) => {
      this.#models.drop(jobId);
      this.#emit({ type: "job-closed", jobId, status });
    });
    this.#on(socket, SOCKET_EVENTS.instruction, TrainInstructionSchema, "instruction", (instruction) => {
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#worker.train(instruction));
    });
    this.#on(socket, SOCKET_EVENTS.evaluate, EvaluateInstructionSchema, "evaluate", (instruction) => {
      if (this.#firstTime(instruction.nonce)) this.#enqueue(() => this.#worker.evaluate(instruction));
    });
    // SecAgg+ stages of a round this agent trained for: answered by the round's session, outside the work queue.
    const secAgg = (step: (session: SecAggSession) => Promise<void>, message: { jobId: string; round: number }) => {
      const session = this.#secAgg.get(message);
      if (session === undefined) {
        this.#emit({
          type: "error",
          message: `a SecAgg message for job ${message.jobId} round ${message.round}, which this trainer has no session of`,
        });
        return;
      }
      step(session).catch((error: Error) => this.#emit({ type: "error", message: error.message }));
    };
    this.#on(socket, SOCKET_EVENTS.secAggNeighbourKeys, SecAggNeighbourKeysSchema, "secagg:neighbour-keys", (m) =>
      secAgg((session) => session.onNeighbourKeys(m), m),
    );
    this.#on(socket, SOCKET_EVENTS.secAggShares, SecAggSharesDeliverySchema, "secagg:shares", (m) =>
      secAgg((session) => session.onShares(m), m),
    );
    this.#on(socket, SOCKET_EVENTS.secAggUnmask, SecAggUnmaskRequestSchema, "secagg:unmask", (m) =>
      secAgg((session) => session.onUnmask(m), m),
    );
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
    this.#stopping = true;
    this.#connection?.close();
    this.#models.clear();
  }

  /**
   * Stops gracefully (SIGTERM): takes no new instruction and starts nothing queued, lets the piece of work in
   * progress finish (a round being trained is trained and its update, whose ε is already charged, delivered), then
   * closes the connection. Waits at most `graceMs`; the coordinator asks another trainer for whatever is left.
   */
  async shutdown(graceMs: number): Promise<"drained" | "timed-out"> {
    this.#stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.#work.then(() => "drained" as const),
      new Promise<"timed-out">((resolve) => {
        timer = setTimeout(() => resolve("timed-out"), graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.stop();
    return outcome;
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
    this.#work = this.#work
      .then(() => (this.#stopping ? undefined : work()))
      .catch((error: Error) => this.#emit({ type: "error", message: error.message }));
  }

  async #logIn(hello: Hello): Promise<void> {
    const number = ++this.#hellos;
    this.#endLogin();
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
    const socket = this.#socket as Socket;
    await uploadManifest(socket, this.options.manifest);
    // The connection may have dropped while the manifest was sent: then the next hello logs in.
    if (!socket.connected || number !== this.#hellos) return;
    const login: Login = {
      socket,
      live: () => this.#login === login && socket.connected,
      end: () => {
        if (this.#login === login) this.#endLogin();
      },
    };
    this.#login = login;
    this.#loggedIn.resolve(login);
    this.#emit({ type: "connected", mode: hello.mode });
    for (const jobId of hello.jobs) this.#joinOnce(jobId);
  }

  /**
   * Ends the current login, if any: whatever waits to be sent now waits for the login of the next connection. Only
   * a resolved login is replaced, so nothing is left waiting on a promise that no login will ever resolve.
   */
  #endLogin(): void {
    if (this.#login === undefined) return;
    this.#login = undefined;
    this.#loggedIn = Promise.withResolvers<Login>();
  }

  async #join(jobId: JobId): Promise<void> {
    try {
      await this.#admission.admit(jobId);
      await this.#models.get(jobId);
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
}
