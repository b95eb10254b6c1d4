import { createHash, randomUUID } from "node:crypto";
import { writeFile as writeFileCallback } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { type Bytes32, type Cid, TributaryError } from "@tributary/protocol";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

export class BlobNotFoundError extends TributaryError {
  constructor(cid: string) {
    super("BLOB_NOT_FOUND", `no blob with CID ${cid}`, { details: { cid } });
  }
}

export class BlobCorruptedError extends TributaryError {
  constructor(cid: string, actual: string) {
    super("BLOB_CORRUPTED", `blob ${cid} on disk no longer matches its CID (sha-256 ${actual})`, {
      details: { cid, actual },
    });
  }
}

export class BlobTooLargeError extends TributaryError {
  constructor(limit: number) {
    super("PAYLOAD_TOO_LARGE", `the upload is larger than ${limit} bytes`, { details: { limit } });
  }
}

/** The IPFS CIDv1 (raw codec, sha2-256) of some bytes, and their SHA-256 as 0x-hex. */
export function contentId(bytes: Uint8Array): { cid: Cid; sha256: Bytes32 } {
  const digest = createHash("sha256").update(bytes).digest();
  const cid = CID.create(1, RAW_CODEC, Digest.create(SHA2_256, digest)).toString() as Cid;
  return { cid, sha256: `0x${digest.toString("hex")}` as Bytes32 };
}

/** The SHA-256 a sha2-256 CID commits to, as 0x-hex. */
export function sha256OfCid(cid: string): Bytes32 {
  return `0x${Buffer.from(CID.parse(cid).multihash.digest).toString("hex")}` as Bytes32;
}

/**
 * Creates `file` with `bytes`, failing with EEXIST when it exists: the callback API, which costs the event loop
 * far less per file than `fs/promises` (no FileHandle object per open).
 */
const writeExclusive = promisify(
  (file: string, bytes: Uint8Array, done: (error: NodeJS.ErrnoException | null) => void) =>
    writeFileCallback(file, bytes, { flag: "wx" }, done),
);

/** Bytes of recently written blobs kept in memory (a round's updates are read back when it is aggregated). */
const RECENT_BYTES = 256 * 1024 * 1024;

/**
 * Content-addressed blobs (models, updates, optimiser state) on disk under their CIDv1, the same ids an IPFS
 * node would give them. A blob is written in place with an exclusive create; a file found under its CID that does
 * not hash to it (a write cut short) is replaced atomically (temp file + rename). Reads re-hash and refuse corrupted
 * bytes, so a partial file is never served or aggregated; a row naming a blob is only written once its write
 * completed. Blobs this process wrote lately (up to
 * 256 MiB, oldest dropped first) are read back by `getOwn` from memory without re-hashing: they were hashed when
 * written.
 */
export class BlobStore {
  readonly #dir: string;
  /** Directories known to exist. */
  readonly #made = new Set<string>();
  /** Recently written blobs by CID, oldest first. */
  readonly #recent = new Map<string, Uint8Array>();
  #recentBytes = 0;

  constructor(dataDir: string) {
    this.#dir = path.join(dataDir, "blobs");
  }

  async put(bytes: Uint8Array): Promise<{ cid: Cid; sha256: Bytes32 }> {
    const id = contentId(bytes);
    await this.putHashed(bytes, id);
    return id;
  }

  /**
   * Stores bytes whose CID the caller computed (`contentId`); returns whether this call created the file (false:
   * the same bytes were already stored).
   */
  async putHashed(bytes: Uint8Array, id: { cid: Cid }): Promise<boolean> {
    const file = this.#path(id.cid);
    const dir = path.dirname(file);
    if (!this.#made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#made.add(dir);
    }
    // Created in place, exclusively: one open, one write. A file already there is either these bytes (stored
    // before) or a write cut short by a crash, which is replaced atomically (temp file, rename).
    let created = true;
    try {
      await writeExclusive(file, bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const existing = await readFile(file).catch(() => undefined);
      if (existing !== undefined && contentId(existing).cid === id.cid) created = false;
      else {
        const temp = `${file}.${randomUUID()}.tmp`;
        await writeFile(temp, bytes);
        await rename(temp, file);
      }
    }
    this.#remember(id.cid, bytes);
    return created;
  }

  #remember(cid: string, bytes: Uint8Array): void {
    if (bytes.byteLength > RECENT_BYTES / 4 || this.#recent.has(cid)) return;
    this.#recent.set(cid, bytes);
    this.#recentBytes += bytes.byteLength;
    for (const [old, held] of this.#recent) {
      if (this.#recentBytes <= RECENT_BYTES) break;
      this.#recent.delete(old);
      this.#recentBytes -= held.byteLength;
    }
  }

  /**
   * Streams bytes to disk (never all in memory) and stores them by CID. More than `maxBytes` throws
   * `BlobTooLargeError` and leaves no file behind.
   */
  async putStream(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ cid: Cid; sha256: Bytes32 }> {
    await mkdir(this.#dir, { recursive: true });
    const temp = path.join(this.#dir, `upload.${randomUUID()}.tmp`);
    const hash = createHash("sha256");
    let size = 0;
    try {
      const out = await open(temp, "w");
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
          hash.update(chunk);
          await out.write(chunk);
        }
      } finally {
        await out.close();
      }
      const digest = hash.digest();
      const cid = CID.create(1, RAW_CODEC, Digest.create(SHA2_256, digest)).toString() as Cid;
      const file = this.#path(cid);
      await mkdir(path.dirname(file), { recursive: true });
      await rename(temp, file);
      return { cid, sha256: `0x${digest.toString("hex")}` as Bytes32 };
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * A blob this process wrote lately, from memory and not hashed again (it was hashed when written), else `get`.
   * For the coordinator's own reads of what it just stored (a round's updates at aggregation); what is served to
   * others always comes from disk through `get`, re-hashed.
   */
  async getOwn(cid: string): Promise<Buffer> {
    const recent = this.#recent.get(cid);
    if (recent !== undefined) return Buffer.from(recent.buffer, recent.byteOffset, recent.byteLength);
    return this.get(cid);
  }

  async get(cid: string): Promise<Buffer> {
    const bytes = await readFile(this.#path(cid)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") throw new BlobNotFoundError(cid);
      throw error;
    });
    const actual = contentId(bytes);
    if (actual.cid !== cid) throw new BlobCorruptedError(cid, actual.sha256);
    return bytes;
  }

  /** Whether a blob is stored under `cid` (without reading it). */
  async has(cid: string): Promise<boolean> {
    return stat(this.#path(cid)).then(
      () => true,
      () => false,
    );
  }

  async delete(cid: string): Promise<void> {
    const recent = this.#recent.get(cid);
    if (recent !== undefined) {
      this.#recent.delete(cid);
      this.#recentBytes -= recent.byteLength;
    }
    await rm(this.#path(cid), { force: true });
  }

  #path(cid: string): string {
    if (!/^b[a-z2-7]+$/.test(cid)) throw new BlobNotFoundError(cid);
    return path.join(this.#dir, cid.slice(-2), cid);
  }
}
