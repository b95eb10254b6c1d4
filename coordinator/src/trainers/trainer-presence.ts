import { Inject, Injectable, Logger, type OnApplicationShutdown } from "@nestjs/common";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { RedisConnection } from "../database/redis-connection.js";

/** Deletes a presence entry only if it is still this connection's (a later connection elsewhere replaced it). */
const DELETE_IF_OURS = `if redis.call("HGET", KEYS[1], ARGV[1]) == ARGV[2] then return redis.call("HDEL", KEYS[1], ARGV[1]) end return 0`;

/**
 * Which replica each trainer is connected to, when replicas share a Redis: the hash `<prefix>presence` maps a
 * trainer's address to `<node>|<socket id>`, and each replica keeps `<prefix>node:<node>` alive (renewed every
 * third of `leaseTtlS`, expiring after it). A trainer counts as online while its entry names a live replica: the
 * entries of a replica that died without cleaning up stop counting when its key expires, and are replaced when the
 * trainer reconnects elsewhere.
 */
@Injectable()
export class TrainerPresence implements OnApplicationShutdown {
  readonly #logger = new Logger("presence");
  #timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RedisConnection) private readonly redis: RedisConnection,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** Whether presence is shared (replicas with a Redis). */
  get shared(): boolean {
    return this.redis.client !== undefined;
  }

  /** Starts announcing this replica as alive. */
  async start(): Promise<void> {
    if (this.redis.client === undefined || this.#timer !== undefined) return;
    await this.#heartbeat();
    this.#timer = setInterval(() => void this.#heartbeat(), (this.config.leaseTtlS * 1000) / 3);
  }

  async connected(address: string, socketId: string): Promise<void> {
    await this.redis.client?.hset(this.#presenceKey, address, this.#entry(socketId));
  }

  async disconnected(address: string, socketId: string): Promise<void> {
    await this.redis.client?.eval(DELETE_IF_OURS, 1, this.#presenceKey, address, this.#entry(socketId));
  }

  /** Which of `addresses` are connected to a live replica now. */
  async onlineAmong(addresses: readonly string[]): Promise<Set<string>> {
    const client = this.redis.client;
    if (client === undefined || addresses.length === 0) return new Set();
    const entries = await client.hmget(this.#presenceKey, ...addresses);
    const nodes = [...new Set(entries.flatMap((entry) => (entry === null ? [] : [entry.split("|")[0] as string])))];
    if (nodes.length === 0) return new Set();
    const alive = await client.mget(...nodes.map((node) => this.#nodeKey(node)));
    const live = new Set(nodes.filter((_, index) => alive[index] !== null));
    return new Set(
      addresses.filter((_, index) => {
        const entry = entries[index];
        return entry !== null && entry !== undefined && live.has(entry.split("|")[0] as string);
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.redis.client?.del(this.#nodeKey(this.config.nodeId)).catch(() => undefined);
  }

  async #heartbeat(): Promise<void> {
    await this.redis.client
      ?.set(this.#nodeKey(this.config.nodeId), "1", "PX", this.config.leaseTtlS * 1000)
      .catch((error: Error) => this.#logger.warn(`heartbeat: ${error.message}`));
  }

  #entry(socketId: string): string {
    return `${this.config.nodeId}|${socketId}`;
  }

  get #presenceKey(): string {
    return `${this.redis.prefix}presence`;
  }

  #nodeKey(node: string): string {
    return `${this.redis.prefix}node:${node}`;
  }
}
