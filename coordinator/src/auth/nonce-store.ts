import { randomBytes } from "node:crypto";
import { Injectable } from "@nestjs/common";

/** How long a sign-in nonce may wait for its signed message. */
export const NONCE_TTL_MS = 5 * 60 * 1000;
/** Most nonces outstanding at once (older ones are dropped first), so asking for nonces cannot fill memory. */
const MAX_OUTSTANDING = 100_000;

/**
 * Sign-in nonces, in memory: single use, expiring after `NONCE_TTL_MS`. A restart forgets them, which only means
 * a client that asked for a nonce before the restart asks again.
 */
@Injectable()
export class NonceStore {
  readonly #expiry = new Map<string, number>();

  issue(now = Date.now()): string {
    this.#sweep(now);
    const nonce = randomBytes(16).toString("hex");
    this.#expiry.set(nonce, now + NONCE_TTL_MS);
    return nonce;
  }

  /** Uses up `nonce`; false when it was never issued, was already used, or expired. */
  consume(nonce: string, now = Date.now()): boolean {
    const expiry = this.#expiry.get(nonce);
    this.#expiry.delete(nonce);
    return expiry !== undefined && expiry > now;
  }

  #sweep(now: number): void {
    for (const [nonce, expiry] of this.#expiry) {
      if (expiry > now && this.#expiry.size < MAX_OUTSTANDING) break;
      this.#expiry.delete(nonce);
    }
  }
}
