import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { SessionLock } from "../database/session-lock.js";

/** A background loop the chain leader runs (the indexer, the outbox sender). */
export interface LeaderLoop {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Of several replicas sharing one database, only one follows the chain and sends the outbox: the holder of the
 * PostgreSQL advisory lock `tributary:chain:<schema>` (`SessionLock`). Every replica tries to take it every
 * `pollIntervalMs`; the holder runs the indexer (so adoption happens once) and the sender (so one account's nonces
 * never interleave). When the holder dies its connection ends, PostgreSQL frees the lock, and the next replica that
 * tries takes over: the sender checks the chain before any resend, so an intent its predecessor had already
 * broadcast is confirmed, not sent twice. On embedded PGlite the one process is always the leader.
 */
export class ChainLeadership implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger("chain-leader");
  readonly #lock: SessionLock;
  #timer: NodeJS.Timeout | undefined;
  #attempt: Promise<void> = Promise.resolve();
  #running = false;
  #stopped = false;

  constructor(
    databaseUrl: string | undefined,
    schema: string,
    private readonly loops: readonly LeaderLoop[],
    private readonly retryMs: number,
  ) {
    this.#lock = new SessionLock(databaseUrl, `tributary:chain:${schema}`, (reason) => {
      this.#logger.warn(`chain leadership lost (${reason}): indexer and sender stop`);
      this.#attempt = this.#stopLoops();
    });
  }

  get leader(): boolean {
    return this.#lock.held && this.#running;
  }

  onApplicationBootstrap(): void {
    const attempt = () => {
      if (this.#stopped) return;
      this.#attempt = this.#attempt
        .then(() => this.#tryLead())
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(attempt, this.retryMs);
        });
    };
    attempt();
  }

  async onModuleDestroy(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#attempt;
    await this.#stopLoops();
    await this.#lock.release();
  }

  async #tryLead(): Promise<void> {
    if (this.#running) return;
    try {
      if (!(await this.#lock.tryAcquire()) || this.#stopped) return;
    } catch (error) {
      this.#logger.warn(`chain leadership: ${(error as Error).message}`);
      return;
    }
    this.#running = true;
    for (const loop of this.loops) loop.start();
    this.#logger.log("this replica follows the chain and sends the outbox");
  }

  async #stopLoops(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}
