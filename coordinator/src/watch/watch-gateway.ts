import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  Optional,
} from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { createAdapter } from "@socket.io/redis-adapter";
import {
  type Ack,
  type Address,
  parseInput,
  TributaryError,
  WATCH_EVENTS,
  WATCH_PATH,
  WatchAuthSchema,
  WatchRequestSchema,
} from "@tributary/protocol";
import { Server, type Socket } from "socket.io";
import { AuthService } from "../auth/auth.service.js";
import { ChainSender } from "../chain/chain-sender.js";
import type { JobChanges } from "../common/job-changes.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { RedisConnection } from "../database/redis-connection.js";
import { JobRepository } from "../jobs/job.repository.js";

/** The socket.io room of one job's watchers. */
const jobRoom = (jobId: string) => `watch:${jobId}`;

/** Most jobs one connection watches at once. */
const MAX_WATCHED = 64;

/** An anchor, an acceptance or a payout settled on chain for a job (the sender's intent keys name the job). */
function jobOfIntent(key: string): string | undefined {
  const [, jobId] = key.split(":");
  return jobId !== undefined && /^\d+$/.test(jobId) ? jobId : undefined;
}

/**
 * The read-only channel for people who watch jobs (`protocol`'s `WATCH_PATH`): its own socket.io server on the
 * coordinator's HTTP server, apart from the trainers'. Owner: any signed-in account (`signed-in`, the session's
 * bearer token in the handshake's `auth`), checked once in the connection middleware; a connection without a valid
 * token is refused with `SIGN_IN_REQUIRED`. A connection asks to `watch` jobs that exist and receives `job:changed`
 * for them; it can send nothing else. With Redis, changes reach watchers on every replica.
 */
@Injectable()
export class WatchGateway implements JobChanges, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly #logger = new Logger("watch");
  readonly #perAddress = new Map<string, number>();
  #io: Server | undefined;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RedisConnection) private readonly redis: RedisConnection,
    @Optional() @Inject(ChainSender) private readonly sender?: ChainSender,
  ) {}

  onApplicationBootstrap(): void {
    const io = new Server(this.adapterHost.httpAdapter.getHttpServer(), {
      path: WATCH_PATH,
      serveClient: false,
      // The trainers' server answers upgrades on its own path: neither may close the other's.
      destroyUpgrade: false,
      maxHttpBufferSize: 16 * 1024,
    });
    io.use((socket, next) => {
      this.#signIn(socket).then(
        () => next(),
        (error: unknown) => {
          const code = error instanceof TributaryError ? error.code : "SIGN_IN_REQUIRED";
          const message = error instanceof Error ? error.message : String(error);
          next(Object.assign(new Error(message), { data: { code } }));
        },
      );
    });
    io.on("connection", (socket) => this.#onConnection(socket));
    if (this.redis.client !== undefined) {
      io.adapter(createAdapter(this.redis.client, this.redis.subscriber(), { key: `${this.redis.prefix}watch.io` }));
    }
    this.sender?.onSettled((intent) => {
      const jobId = jobOfIntent(intent.dedupeKey);
      if (jobId !== undefined) this.changed({ jobId, what: "chain" });
    });
    this.#io = io;
  }

  /**
   * Before the HTTP server closes: drops this replica's watchers (they reconnect elsewhere). Not `io.close()`, which
   * waits for the HTTP server to close, and so for the trainers' sockets that the trainer gateway closes after this.
   */
  beforeApplicationShutdown(): void {
    this.#io?.local.disconnectSockets(true);
    this.#io?.engine.close();
  }

  changed(change: Parameters<JobChanges["changed"]>[0]): void {
    this.#io?.to(jobRoom(change.jobId)).emit(WATCH_EVENTS.changed, change);
  }

  async #signIn(socket: Socket): Promise<void> {
    const parsed = WatchAuthSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      throw new TributaryError(
        "SIGN_IN_REQUIRED",
        "watching jobs needs a session: connect with auth {token} from POST /auth/siwe",
      );
    }
    let address: Address;
    try {
      address = await this.auth.caller(parsed.data.token);
    } catch (error) {
      throw new TributaryError("SIGN_IN_REQUIRED", (error as Error).message);
    }
    if ((this.#perAddress.get(address) ?? 0) >= this.config.maxSocketsPerAddress) {
      throw new TributaryError(
        "TOO_MANY_CONNECTIONS",
        `${address} already watches over ${this.config.maxSocketsPerAddress} connections`,
      );
    }
    socket.data.address = address;
  }

  #onConnection(socket: Socket): void {
    const address = socket.data.address as Address;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.on("disconnect", () => {
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    });
    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack !== "function") return;
      const answer = (response: Ack) => (ack as (response: Ack) => void)(response);
      if (event !== WATCH_EVENTS.watch && event !== WATCH_EVENTS.unwatch) {
        answer({ ok: false, code: "UNKNOWN_EVENT", message: `the watch channel has no event ${event}` });
        return;
      }
      this.#request(socket, event, args[0]).then(answer, (error: unknown) => {
        if (error instanceof TributaryError) answer({ ok: false, code: error.code, message: error.message });
        else {
          this.#logger.error(`${event} from ${address}: ${(error as Error).stack ?? String(error)}`);
          answer({ ok: false, code: "INTERNAL", message: "internal error" });
        }
      });
    });
  }

  async #request(socket: Socket, event: string, payload: unknown): Promise<Ack> {
    const { jobId } = parseInput(WatchRequestSchema, payload, event);
    const room = jobRoom(jobId);
    if (event === WATCH_EVENTS.unwatch) {
      await socket.leave(room);
      return { ok: true };
    }
    if ((await this.jobs.findById(jobId)) === null) {
      throw new TributaryError("UNKNOWN_JOB", `this coordinator runs no job ${jobId}`);
    }
    const watched = [...socket.rooms].filter((one) => one.startsWith("watch:")).length;
    if (!socket.rooms.has(room) && watched >= MAX_WATCHED) {
      throw new TributaryError("TOO_MANY_JOBS", `one connection watches at most ${MAX_WATCHED} jobs`);
    }
    await socket.join(room);
    return { ok: true };
  }
}
