import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { createAdapter } from "@socket.io/redis-adapter";
import { withLogContext } from "@tributary/observability";
import {
  type Ack,
  type Address,
  AttestSchema,
  type Bytes32,
  type DatasetId,
  DatasetManifestSchema,
  EvaluationReportSchema,
  type HandshakeRefusal,
  type Hello,
  handshakeRefusalText,
  type JobId,
  JoinSchema,
  parseInput,
  parseSignedModelUpdate,
  parseSignInHeader,
  RefusalSchema,
  SecAggAdvertiseKeysSchema,
  SecAggShareKeysSchema,
  SecAggUnmaskingSchema,
  SIGN_IN_HEADER,
  SOCKET_EVENTS,
  TributaryError,
} from "@tributary/protocol";
import { Server, type Socket } from "socket.io";
import { AuthService } from "../auth/auth.service.js";
import { JOB_CHANGES, type JobChanges } from "../common/job-changes.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { RedisConnection } from "../database/redis-connection.js";
import { RoundDriver } from "../rounds/round-driver.js";
import { RoundsService } from "../rounds/rounds.service.js";
import { SecAggRounds } from "../rounds/secagg-rounds.js";
import { UpdateIntake } from "../rounds/update-intake.js";
import { TrainerPresence } from "./trainer-presence.js";
import { NUDGE_EVENT, TrainerSessions } from "./trainer-sessions.js";
import { TrainersService } from "./trainers.service.js";

type AckFn = (response: Ack) => void;

/** A connection whose handshake sign-in verified. */
interface LoggedIn {
  readonly address: Address;
  readonly datasetId: string;
  readonly jobs: JobId[];
}

/**
 * The socket.io endpoint trainers connect to. Every inbound payload is parsed with its protocol schema; every
 * reply is an `Ack` with a stable code and a precise message. Updates arrive as binary attachments.
 */
@Injectable()
export class TrainerGateway implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly #logger = new Logger("gateway");
  #io: Server | undefined;
  readonly #perIp = new Map<string, number>();
  readonly #perAddress = new Map<string, number>();
  /** Signed-in peers, by the HTTP request that opened their connection (from allowRequest to the connection). */
  readonly #signedIn = new WeakMap<IncomingMessage, LoggedIn>();
  /** Socket events being handled; once closing, new ones are left unanswered (the agent re-sends them). */
  readonly #handling = new Set<Promise<void>>();
  #closing = false;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
    @Inject(TrainersService) private readonly trainers: TrainersService,
    @Inject(UpdateIntake) private readonly intake: UpdateIntake,
    @Inject(SecAggRounds) private readonly secAgg: SecAggRounds,
    @Inject(RoundsService) private readonly rounds: RoundsService,
    @Inject(RoundDriver) private readonly driver: RoundDriver,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(RedisConnection) private readonly redis: RedisConnection,
    @Inject(TrainerPresence) private readonly presence: TrainerPresence,
    @Optional() @Inject(JOB_CHANGES) private readonly changes?: JobChanges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const io = new Server(this.adapterHost.httpAdapter.getHttpServer(), {
      // Only signed-in peers get this far: allowRequest verifies the sign-in before a WebSocket is opened or any
      // message read, so an unauthenticated peer is read no more than its request's head (`maxHandshakeBytes`).
      maxHttpBufferSize: this.config.maxUpdateBytes + 1024 * 1024,
      // A trainer's event loop is busy for whole training steps (tens of seconds on a loaded machine); a short
      // timeout dropped trainers mid-round (seen in bench:federated). Dead peers are still noticed in ~2.5 min.
      pingInterval: 25_000,
      pingTimeout: 120_000,
      allowRequest: (request, callback) => {
        this.#admit(request).then(
          () => callback(null, true),
          (error: unknown) => callback(handshakeRefusalText(this.#refusal(error, request)), false),
        );
      },
    });
    io.engine.on(
      "connection",
      (raw: {
        request: { socket: { remoteAddress?: string } };
        on: (event: "close", listener: () => void) => void;
      }) => {
        const ip = raw.request.socket.remoteAddress ?? "unknown";
        this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
        raw.on("close", () => {
          const left = (this.#perIp.get(ip) ?? 1) - 1;
          if (left <= 0) this.#perIp.delete(ip);
          else this.#perIp.set(ip, left);
        });
      },
    );
    // The session allowRequest verified for the request that opened this connection.
    io.use((socket, next) => {
      const session = this.#signedIn.get(socket.request);
      if (session === undefined) {
        next(Object.assign(new Error("not signed in"), { data: { code: "SIGN_IN_REFUSED" } }));
        return;
      }
      socket.data.session = session;
      next();
    });
    io.on("connection", (socket) => this.#onConnection(socket));
    // Scaled out: events for trainers connected to other replicas, and nudges between replicas, go through Redis.
    if (this.redis.client !== undefined) {
      io.adapter(createAdapter(this.redis.client, this.redis.subscriber(), { key: `${this.redis.prefix}socket.io` }));
      io.on(NUDGE_EVENT, (jobId: unknown) => {
        if (typeof jobId === "string") void this.driver.kick(jobId, false);
      });
    }
    this.sessions.attach(io);
    this.#io = io;
    await this.presence.start();
  }

  /**
   * Before the HTTP server closes (it waits for every open connection, trainers' WebSockets included): takes no new
   * event, lets the events being handled finish (an update being stored is stored and acknowledged), then disconnects
   * every trainer. An agent re-sends what was not acknowledged once it is signed in again, here or at another
   * coordinator of the same database.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(this.#handling);
    await this.#io?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#io?.close();
  }

  /**
   * The handshake, on the HTTP request that opens a connection (engine.io's `allowRequest`): caps connections per IP
   * address before anything else is looked at, verifies the sign-in header (this coordinator's origin, chain and
   * contract), caps connections per address, and checks that the signer owns the dataset.
   */
  async #admit(request: IncomingMessage): Promise<void> {
    const ip = request.socket.remoteAddress ?? "unknown";
    if ((this.#perIp.get(ip) ?? 0) >= this.config.maxSocketsPerIp) {
      throw new TributaryError("TOO_MANY_CONNECTIONS", `${ip} already has ${this.config.maxSocketsPerIp} connections`);
    }
    const auth = parseSignInHeader(request.headers[SIGN_IN_HEADER]);
    const { address } = await this.auth.verify(auth.message, auth.signature, this.config.chain?.trainingJobs);
    if ((this.#perAddress.get(address) ?? 0) >= this.config.maxSocketsPerAddress) {
      throw new TributaryError(
        "TOO_MANY_CONNECTIONS",
        `${address} already has ${this.config.maxSocketsPerAddress} connections`,
      );
    }
    const { jobs } = await this.trainers.login(address, auth.datasetId);
    this.#signedIn.set(request, { address, datasetId: auth.datasetId, jobs });
  }

  /** What a refused handshake tells the peer: a typed error's code and message, else only that it failed. */
  #refusal(error: unknown, request: IncomingMessage): HandshakeRefusal {
    if (error instanceof TributaryError) {
      this.#logger.warn(`handshake from ${request.socket.remoteAddress} refused: ${error.message}`);
      return { code: error.code, message: error.message };
    }
    this.#logger.error(`handshake failed: ${(error as Error).stack ?? String(error)}`);
    return { code: "INTERNAL", message: "internal error" };
  }

  #onConnection(socket: Socket): void {
    const session = socket.data.session as LoggedIn;
    const { address, datasetId } = session;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    const handled = new Set<string>([
      SOCKET_EVENTS.manifest,
      SOCKET_EVENTS.join,
      SOCKET_EVENTS.attest,
      SOCKET_EVENTS.update,
      SOCKET_EVENTS.refusal,
      SOCKET_EVENTS.evaluation,
      SOCKET_EVENTS.secAggAdvertiseKeys,
      SOCKET_EVENTS.secAggShareKeys,
      SOCKET_EVENTS.secAggUnmasking,
    ]);
    // Every event the coordinator does not handle is answered, so a client never waits for its own timeout.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (handled.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack !== "function") return;
      (ack as AckFn)(
        event === SOCKET_EVENTS.login
          ? {
              ok: false,
              code: "LOGIN_IN_HANDSHAKE",
              message: "sign in in the socket.io handshake (auth), not with login",
            }
          : { ok: false, code: "UNKNOWN_EVENT", message: `unknown event ${JSON.stringify(event.slice(0, 64))}` },
      );
    });

    this.#on(socket, SOCKET_EVENTS.manifest, async (payload) => {
      const { datasetId } = session;
      return this.trainers.recordManifest(datasetId, parseInput(DatasetManifestSchema, payload, "manifest"));
    });

    this.#on(socket, SOCKET_EVENTS.join, async (payload) => {
      const { address, datasetId } = session;
      const { jobId } = parseInput(JoinSchema, payload, "join");
      return { nonce: await this.trainers.challenge(address, datasetId, jobId) };
    });

    this.#on(socket, SOCKET_EVENTS.attest, async (payload) => {
      const { address, datasetId } = session;
      const attest = parseInput(AttestSchema, payload, "attest");
      const participant = await this.trainers.admit(address, datasetId, attest);
      this.driver.kick(attest.jobId);
      this.driver.resend(address);
      return { simulated: participant.simulated, teeKind: participant.teeKind };
    });

    this.#on(socket, SOCKET_EVENTS.update, async (header, bytes) => {
      const { address } = session;
      const update = parseSignedModelUpdate(header, "update header");
      if (!(bytes instanceof Uint8Array)) {
        throw new TributaryError("MISSING_BYTES", "the update's weights must follow the header as a binary attachment");
      }
      await this.intake.submit(address, update, bytes);
      this.changes?.changed({ jobId: update.jobId, what: "answer", round: update.round });
      this.driver.kick(update.jobId);
      return { accepted: true };
    });

    this.#on(socket, SOCKET_EVENTS.refusal, async (payload) => {
      const { address } = session;
      const refusal = parseInput(RefusalSchema, payload, "refusal");
      await this.rounds.recordRefusal(address, refusal);
      this.changes?.changed({ jobId: refusal.jobId, what: "answer", round: refusal.round });
      this.driver.kick(refusal.jobId);
      return {};
    });

    this.#on(socket, SOCKET_EVENTS.evaluation, async (payload) => {
      const { address } = session;
      const report = parseInput(EvaluationReportSchema, payload, "evaluation");
      await this.rounds.recordEvaluation(address, report);
      this.changes?.changed({ jobId: report.jobId, what: "answer", round: report.round });
      this.driver.kick(report.jobId);
      return {};
    });

    // SecAgg+ stages: each message is signed by the trainer it names, who must be the signed-in sender (owner),
    // and is checked by the round's SecAggServer (signature, stage, participant, neighbours).
    this.#on(socket, SOCKET_EVENTS.secAggAdvertiseKeys, async (payload) => {
      const message = parseInput(SecAggAdvertiseKeysSchema, payload, "secagg:advertise-keys");
      this.secAgg.advertise(session.address, message);
      this.driver.kick(message.jobId);
      return {};
    });

    this.#on(socket, SOCKET_EVENTS.secAggShareKeys, async (payload) => {
      const message = parseInput(SecAggShareKeysSchema, payload, "secagg:share-keys");
      this.secAgg.share(session.address, message);
      this.driver.kick(message.jobId);
      return {};
    });

    this.#on(socket, SOCKET_EVENTS.secAggUnmasking, async (payload) => {
      const message = parseInput(SecAggUnmaskingSchema, payload, "secagg:unmasking");
      this.secAgg.unmasking(session.address, message);
      this.driver.kick(message.jobId);
      return {};
    });

    socket.on("disconnect", (why) => {
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
      const gone = this.sessions.remove(socket.id);
      if (gone !== undefined) this.#logger.log(`trainer ${gone.address} offline (${why})`);
    });

    this.sessions.add({ address, datasetId, socket });
    this.#logger.log(`trainer ${address} (dataset ${datasetId}) online`);
    // A session for the REST routes a trainer needs (the global models of the jobs it is admitted to).
    this.auth.issue(address).then(
      ({ token }) => {
        const hello: Hello = {
          nonce: `0x${randomBytes(32).toString("hex")}` as Bytes32,
          mode: this.config.mode,
          chainId: this.config.chainId,
          verifyingContract: this.config.verifyingContract,
          address,
          datasetId: datasetId as DatasetId,
          jobs: session.jobs,
          token,
        };
        socket.emit(SOCKET_EVENTS.hello, hello);
        this.driver.resend(address);
      },
      (error: unknown) => this.#logger.error(`session for ${address}: ${String(error)}`),
    );
  }

  /** Registers a handler whose result (or typed error) is sent back as the event's acknowledgement. */
  #on(socket: Socket, event: string, handler: (...args: unknown[]) => Promise<object>): void {
    socket.on(event, (...args: unknown[]) => {
      const last = args.at(-1);
      const ack: AckFn = typeof last === "function" ? (last as AckFn) : () => {};
      const payload = typeof last === "function" ? args.slice(0, -1) : args;
      if (this.#closing) return;
      // Every line logged while the event is handled names the trainer, and the job and round it is about.
      const handling = withLogContext(socketLogIds(socket, payload[0]), async () => {
        try {
          ack({ ok: true, ...(await handler(...payload)) });
        } catch (error) {
          if (error instanceof TributaryError) {
            this.#logger.warn(`${event} from ${socket.id} refused: ${error.message}`);
            ack({ ok: false, code: error.code, message: error.message });
          } else {
            this.#logger.error(`${event} from ${socket.id} failed: ${(error as Error).stack ?? String(error)}`);
            ack({ ok: false, code: "INTERNAL", message: "internal error" });
          }
        }
      });
      this.#handling.add(handling);
      void handling.finally(() => this.#handling.delete(handling));
    });
  }
}

/** The identifiers of a socket event's log lines: the signed-in trainer, and the job and round its payload names. */
function socketLogIds(socket: Socket, payload: unknown): Record<string, string | number> {
  const ids: Record<string, string | number> = { trainer: (socket.data.session as LoggedIn).address };
  const { jobId, round } = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
  if (typeof jobId === "string") ids.jobId = jobId;
  if (typeof round === "number") ids.round = round;
  return ids;
}
