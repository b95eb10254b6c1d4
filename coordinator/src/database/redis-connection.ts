import { Logger, type OnApplicationShutdown } from "@nestjs/common";
import { Redis } from "ioredis";

/**
 * The Redis that replicas share (`redisUrl`), or none for a single process. Every key this coordinator writes
 * starts with `prefix` (`tributary:<database schema>:`), so clusters on different schemas can share one Redis.
 * `client` runs commands; `subscriber()` opens a further connection for subscriptions (socket.io's adapter needs
 * one of its own). All of them close at shutdown.
 */
export class RedisConnection implements OnApplicationShutdown {
  readonly #logger = new Logger("redis");
  readonly client: Redis | undefined;
  readonly #extra: Redis[] = [];

  constructor(
    url: string | undefined,
    readonly prefix: string,
  ) {
    if (url === undefined) return;
    this.client = new Redis(url, { maxRetriesPerRequest: 3 });
    this.client.on("error", (error: Error) => this.#logger.warn(`redis: ${error.message}`));
  }

  /** A new connection to the same Redis (for subscriptions). */
  subscriber(): Redis {
    if (this.client === undefined) throw new TypeError("no redisUrl is configured");
    const connection = this.client.duplicate();
    connection.on("error", (error: Error) => this.#logger.warn(`redis subscriber: ${error.message}`));
    this.#extra.push(connection);
    return connection;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const connection of [...this.#extra, ...(this.client === undefined ? [] : [this.client])]) {
      await connection.quit().catch(() => connection.disconnect());
    }
  }
}
