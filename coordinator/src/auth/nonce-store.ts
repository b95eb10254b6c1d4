import { randomBytes } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import { RedisConnection } from "../database/redis-connection.js";

/** How long a sign-in nonce may wait for its signed message. */
export const NONCE_TTL_MS = 5 * 60 * 1000;
/** Most nonces outstanding at once (older ones are dropped first), so asking for nonces cannot fill memory. */
const MAX_OUTSTANDING = 100_000;

/**
 * Sign-in nonces: single use, expiring after `NONCE_TTL_MS`. In memory for a single process (a restart forgets
 * them, which only means a client that asked for a nonce before the restart asks again); in the shared Redis when
 * replicas share one (`redisUrl`), so a nonce one replica issued is used up on whichever replica the signed message
 * reaches (`SET … PX` to issue, `GETDEL` to consume: once, atomically).
 */
@Injectable()
export class NonceStore {
  readonly #expiry = new Map<string, number>();

  constructor(@Inject(RedisConnection) private readonly redis: RedisConnection) {}

  async issue(now = Date.now()): Promise<string> {
    const nonce = randomBytes(16).toString("hex");
    const shared = this.redis.client;
    if (shared !== undefined) {
      await shared.set(this.#key(nonce), "1", "PX", NONCE_TTL_MS);
      return nonce;
    }
    this.#sweep(now);
    this.#expiry.set(nonce, now + NONCE_TTL_MS);
    return nonce;
  }

  /** Uses up `nonce`; false when it was never issued, was already used, or expired. */
  async consume(nonce: string, now = Date.now()): Promise<boolean> {
    const shared = this.redis.client;
    if (shared !== undefined) return (await shared.getdel(this.#key(nonce))) !== null;
    const expiry = this.#expiry.get(nonce);
    this.#expiry.delete(nonce);
    return expiry !== undefined && expiry > now;
  }

  #key(nonce: string): string {
    return `${this.redis.prefix}nonce:${nonce}`;
  }

  #sweep(now: number): void {
    for (const [nonce, expiry] of this.#expiry) {
      if (expiry > now && this.#expiry.size < MAX_OUTSTANDING) break;
      this.#expiry.delete(nonce);
    }
  }
}
