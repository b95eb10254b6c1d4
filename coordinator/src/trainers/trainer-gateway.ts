import { randomBytes } from "node:crypto";
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import {
  type Ack,
  type Address,
  AttestSchema,
  type Bytes32,
  EvaluationReportSchema,
  type Hello,
  JoinSchema,
  LoginSchema,
  parseInput,
  RefusalSchema,
  SignedModelUpdateSchema,
  SOCKET_EVENTS,
  TributaryError,
} from "@tributary/protocol";
import { Server, type Socket } from "socket.io";
import { AuthService } from "../auth/auth.service.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { RoundDriver } from "../rounds/round-driver.js";
import { RoundsService } from "../rounds/rounds.service.js";
import { UpdateIntake } from "../rounds/update-intake.js";
import { TrainerSessions } from "./trainer-sessions.js";
import { TrainersService } from "./trainers.service.js";

type AckFn = (response: Ack) => void;

/**
 * The socket.io endpoint trainers connect to. Every inbound payload is parsed with its protocol schema; every
 * reply is an `Ack` with a stable code and a precise message. Updates arrive as binary attachments.
 */
@Injectable()
export class TrainerGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #logger = new Logger("gateway");
  #io: Server | undefined;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
    @Inject(TrainersService) private readonly trainers: TrainersService,
    @Inject(UpdateIntake) private readonly intake: UpdateIntake,
    @Inject(RoundsService) private readonly rounds: RoundsService,
    @Inject(RoundDriver) private readonly driver: RoundDriver,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  onApplicationBootstrap(): void {
    this.#io = new Server(this.adapterHost.httpAdapter.getHttpServer(), {
      maxHttpBufferSize: this.config.maxUpdateBytes + 1024 * 1024,
      // A trainer's event loop is busy for whole training steps (tens of seconds on a loaded machine); a short
      // timeout dropped trainers mid-round (seen in bench:federated). Dead peers are still noticed in ~2.5 min.
      pingInterval: 25_000,
      pingTimeout: 120_000,
    });
    this.#io.on("connection", (socket) => this.#onConnection(socket));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#io?.close();
  }

  #onConnection(socket: Socket): void {
    const nonce = `0x${randomBytes(32).toString("hex")}` as Bytes32;
    let session: { address: Address; datasetId: string } | undefined;
    const hello: Hello = {
      nonce,
      mode: this.config.mode,
      chainId: this.config.chainId,
      verifyingContract: this.config.verifyingContract,
    };
    socket.emit(SOCKET_EVENTS.hello, hello);

    const loggedIn = () => {
      if (session === undefined) throw new TributaryError("NOT_LOGGED_IN", "log in before anything else");
      return session;
    };

    this.#on(socket, SOCKET_EVENTS.login, async (payload) => {
      const login = parseInput(LoginSchema, payload, "login");
      const { jobs } = await this.trainers.login(login, nonce);
      session = { address: login.address, datasetId: login.datasetId };
      this.sessions.add({ ...session, socket });
      this.#logger.log(`trainer ${login.address} (dataset ${login.datasetId}) online`);
      this.driver.resend(login.address);
      // A session for the REST routes a trainer needs (the global models of the jobs it is admitted to).
      const { token } = await this.auth.issue(login.address);
      return { jobs, token };
    });

    this.#on(socket, SOCKET_EVENTS.join, async (payload) => {
      const { address, datasetId } = loggedIn();
      const { jobId } = parseInput(JoinSchema, payload, "join");
      return { nonce: await this.trainers.challenge(address, datasetId, jobId) };
    });

    this.#on(socket, SOCKET_EVENTS.attest, async (payload) => {
      const { address, datasetId } = loggedIn();
      const attest = parseInput(AttestSchema, payload, "attest");
      const participant = await this.trainers.admit(address, datasetId, attest);
      this.driver.kick(attest.jobId);
      this.driver.resend(address);
      return { simulated: participant.simulated, teeKind: participant.teeKind };
    });

    this.#on(socket, SOCKET_EVENTS.update, async (header, bytes) => {
      const { address } = loggedIn();
      const update = parseInput(SignedModelUpdateSchema, header, "update header");
      if (!(bytes instanceof Uint8Array)) {
        throw new TributaryError("MISSING_BYTES", "the update's weights must follow the header as a binary attachment");
      }
      await this.intake.submit(address, update, bytes);
      this.driver.kick(update.jobId);
      return { accepted: true };
    });

    this.#on(socket, SOCKET_EVENTS.refusal, async (payload) => {
      const { address } = loggedIn();
      const refusal = parseInput(RefusalSchema, payload, "refusal");
      await this.rounds.recordRefusal(address, refusal);
      this.driver.kick(refusal.jobId);
      return {};
    });

    this.#on(socket, SOCKET_EVENTS.evaluation, async (payload) => {
      const { address } = loggedIn();
      const report = parseInput(EvaluationReportSchema, payload, "evaluation");
      await this.rounds.recordEvaluation(address, report);
      this.driver.kick(report.jobId);
      return {};
    });

    socket.on("disconnect", (why) => {
      const gone = this.sessions.remove(socket.id);
      if (gone !== undefined) this.#logger.log(`trainer ${gone.address} offline (${why})`);
    });
  }

  /** Registers a handler whose result (or typed error) is sent back as the event's acknowledgement. */
  #on(socket: Socket, event: string, handler: (...args: unknown[]) => Promise<object>): void {
    socket.on(event, async (...args: unknown[]) => {
      const last = args.at(-1);
      const ack: AckFn = typeof last === "function" ? (last as AckFn) : () => {};
      const payload = typeof last === "function" ? args.slice(0, -1) : args;
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
  }
}
