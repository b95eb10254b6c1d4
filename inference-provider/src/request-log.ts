import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeResponseBytes } from "@tributary/deterministic-inference";
import { type Bytes32, TributaryError } from "@tributary/protocol";
import { sha256 } from "ethers";

/** How many verifiable requests a provider keeps, and for how long. */
export interface RequestLogLimits {
  /** The most requests kept; the oldest go first. */
  readonly maxEntries: number;
  /** Seconds a request is kept (long enough for a task's response timeout, dispute window and resolution). */
  readonly maxAgeS: number;
}

/**
 * The defaults: 20,000 requests (about 65 MB of single MNIST examples) for 8 days, which covers a task's response
 * timeout (1 h), dispute window (1 day) and resolution period (3 days) of the default deployment twice over.
 */
export const REQUEST_LOG_DEFAULTS: RequestLogLimits = { maxEntries: 20_000, maxAgeS: 8 * 86_400 };

/** A verifiable request the provider answered: its canonical bytes, its answer's, and their hashes. */
export interface LoggedRequest {
  readonly requestHash: Bytes32;
  readonly responseHash: Bytes32;
  readonly requestBytes: Uint8Array;
  readonly responseBytes: Uint8Array;
}

interface Entry {
  readonly at: number;
  published: boolean;
}

const HASH_FILE = /^(0x[0-9a-f]{64})\.(tdiq|tdir|public)$/;

/**
 * The provider's log of the verifiable requests it answered, on disk (one directory): for each, the canonical request
 * bytes (`<requestHash>.tdiq`) and response bytes (`<requestHash>.tdir`) of deterministic-inference, so that the
 * provider can submit the response hash of an OptimisticVerifier task whose `inputHash` is one of them, and hand the
 * request to challengers. Bounded by `RequestLogLimits` (oldest first). A request is served to others only once it is
 * *published* (`<requestHash>.public`): when a task on chain names it as its input, which makes its input public by
 * the requester's choice (see docs/architecture.md, "Verified inference"). Files are written whole (to a temporary
 * name, then renamed), not synced: a request lost in a crash is one whose task the provider cannot answer, and its
 * requester cancels it after the response timeout.
 */
export class RequestLog {
  readonly #entries = new Map<string, Entry>();

  private constructor(
    readonly dir: string,
    private readonly limits: RequestLogLimits,
    private readonly now: () => number,
  ) {}

  /** Opens (or starts) the log in `dir`, oldest request first. */
  static async open(
    dir: string,
    limits: RequestLogLimits = REQUEST_LOG_DEFAULTS,
    now: () => number = Date.now,
  ): Promise<RequestLog> {
    await mkdir(dir, { recursive: true });
    const log = new RequestLog(dir, limits, now);
    const found = new Map<string, { at?: number; response: boolean; published: boolean }>();
    for (const name of await readdir(dir)) {
      const match = HASH_FILE.exec(name);
      if (match === null) continue;
      const [, hash = "", kind] = match;
      const item = found.get(hash) ?? { response: false, published: false };
      if (kind === "tdiq") item.at = (await stat(path.join(dir, name))).mtimeMs;
      if (kind === "tdir") item.response = true;
      if (kind === "public") item.published = true;
      found.set(hash, item);
    }
    const whole = [...found].filter(([, item]) => item.at !== undefined && item.response);
    whole.sort(([, a], [, b]) => (a.at as number) - (b.at as number));
    for (const [hash, item] of whole) log.#entries.set(hash, { at: item.at as number, published: item.published });
    await log.#evict();
    return log;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(requestHash: string): boolean {
    return this.#entries.has(requestHash.toLowerCase());
  }

  /**
   * Keeps a verifiable request and its answer; returns their hashes (the SHA-256 of each), refusing an answer that
   * does not name the request.
   */
  async record(
    requestBytes: Uint8Array,
    responseBytes: Uint8Array,
  ): Promise<{ requestHash: Bytes32; responseHash: Bytes32 }> {
    const requestHash = sha256(requestBytes) as Bytes32;
    const responseHash = sha256(responseBytes) as Bytes32;
    if (decodeResponseBytes(responseBytes).requestHash !== requestHash) {
      throw new TributaryError("REQUEST_LOG", `the response does not answer request ${requestHash}`);
    }
    await this.#write(`${requestHash}.tdiq`, requestBytes);
    await this.#write(`${requestHash}.tdir`, responseBytes);
    const published = this.#entries.get(requestHash)?.published ?? false;
    this.#entries.delete(requestHash);
    this.#entries.set(requestHash, { at: this.now(), published });
    await this.#evict();
    return { requestHash, responseHash };
  }

  /** The request `requestHash` and its answer, if kept (and intact on disk). */
  async get(requestHash: string): Promise<LoggedRequest | undefined> {
    const hash = requestHash.toLowerCase();
    if (!this.#entries.has(hash)) return undefined;
    try {
      const requestBytes = new Uint8Array(await readFile(path.join(this.dir, `${hash}.tdiq`)));
      const responseBytes = new Uint8Array(await readFile(path.join(this.dir, `${hash}.tdir`)));
      if (sha256(requestBytes) !== hash) return undefined;
      return {
        requestHash: hash as Bytes32,
        responseHash: sha256(responseBytes) as Bytes32,
        requestBytes,
        responseBytes,
      };
    } catch {
      return undefined;
    }
  }

  /** Makes request `requestHash` public (a task names it as its input); false when it is not kept. */
  async publish(requestHash: string): Promise<boolean> {
    const entry = this.#entries.get(requestHash.toLowerCase());
    if (entry === undefined) return false;
    if (!entry.published) {
      await this.#write(`${requestHash.toLowerCase()}.public`, new Uint8Array(0));
      entry.published = true;
    }
    return true;
  }

  /** The canonical bytes of request `requestHash` if it is kept and published; undefined otherwise. */
  async published(requestHash: string): Promise<Uint8Array | undefined> {
    if (this.#entries.get(requestHash.toLowerCase())?.published !== true) return undefined;
    return (await this.get(requestHash))?.requestBytes;
  }

  async #write(name: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(this.dir, name);
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
  }

  /** Drops requests past `maxAgeS`, then the oldest beyond `maxEntries`. */
  async #evict(): Promise<void> {
    const oldest = this.now() - this.limits.maxAgeS * 1000;
    for (const [hash, entry] of this.#entries) {
      if (entry.at >= oldest && this.#entries.size <= this.limits.maxEntries) break;
      this.#entries.delete(hash);
      for (const kind of ["tdiq", "tdir", "public"]) await rm(path.join(this.dir, `${hash}.${kind}`), { force: true });
    }
  }
}
