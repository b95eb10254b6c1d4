import { type Bytes32, TributaryError } from "@tributary/protocol";
import { sha256 } from "ethers";

/**
 * Where a buyer keeps the canonical request bytes of its verifiable requests, by `requestHash`, so it can hand them
 * to challengers and committee members (who re-execute the request) for as long as its tasks can be disputed. Every
 * implementation refuses bytes that do not hash to the key. `MemoryRequestStore` here (a browser app's, or a test's);
 * the CLI keeps them in a directory.
 */
export interface RequestStore {
  /** Keeps `bytes` under `requestHash` (their SHA-256). */
  put(requestHash: Bytes32, bytes: Uint8Array): Promise<void>;
  /** The bytes kept under `requestHash`, or undefined. */
  get(requestHash: Bytes32): Promise<Uint8Array | undefined>;
}

/** Bytes offered under a hash that is not theirs. */
export class RequestHashMismatchError extends TributaryError {
  constructor(requestHash: string, actual: string) {
    super("REQUEST_HASH_MISMATCH", `the request bytes hash to ${actual}, not ${requestHash}`, {
      details: { requestHash, actual },
    });
  }
}

/** Throws `RequestHashMismatchError` unless SHA-256(`bytes`) is `requestHash`. */
export function checkRequestBytes(requestHash: string, bytes: Uint8Array): void {
  const actual = sha256(bytes);
  if (actual !== requestHash.toLowerCase()) throw new RequestHashMismatchError(requestHash, actual);
}

/** A `RequestStore` in memory, keeping the `capacity` most recent requests (oldest dropped first). */
export class MemoryRequestStore implements RequestStore {
  readonly #entries = new Map<string, Uint8Array>();

  constructor(private readonly capacity = 10_000) {}

  async put(requestHash: Bytes32, bytes: Uint8Array): Promise<void> {
    checkRequestBytes(requestHash, bytes);
    const key = requestHash.toLowerCase();
    this.#entries.delete(key);
    this.#entries.set(key, Uint8Array.from(bytes));
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) break;
      this.#entries.delete(oldest);
    }
  }

  async get(requestHash: Bytes32): Promise<Uint8Array | undefined> {
    const bytes = this.#entries.get(requestHash.toLowerCase());
    return bytes === undefined ? undefined : Uint8Array.from(bytes);
  }

  get size(): number {
    return this.#entries.size;
  }
}
