import { createHash, randomUUID } from "node:crypto";
import { writeFile as writeFileCallback } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { type Bytes32, type Cid, TributaryError } from "@tributary/protocol";
import { CID } from "multiformats/cid";
import { BlobSegments } from "./blob-segments.js";

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

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** A CIDv1's bytes before the digest: version 1, raw codec (0x55), sha2-256 (0x12), 32-byte digest (0x20). */
const CID_PREFIX = [0x01, RAW_CODEC, SHA2_256, 0x20];

/**
 * The CIDv1 (raw codec, sha2-256) of a SHA-256 digest as its multibase base32 string ("b" + RFC 4648 lower case,
 * no padding), written out directly: `multiformats`' CID objects cost more than hashing a 40 kB update.
 */
function cidOfDigest(digest: Uint8Array): Cid {
  let out = "b";
  let value = 0;
  let bits = 0;
  const take = (byte: number) => {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  };
  for (const byte of CID_PREFIX) take(byte);
  for (const byte of digest) take(byte);
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out as Cid;
}

/** The IPFS CIDv1 (raw codec, sha2-256) of some bytes, and their SHA-256 as 0x-hex. */
export function contentId(bytes: Uint8Array): { cid: Cid; sha256: Bytes32 } {
  const digest = createHash("sha256").update(bytes).digest();
  return { cid: cidOfDigest(digest), sha256: `0x${digest.toString("hex")}` as Bytes32 };
}

/** The SHA-256 a sha2-256 CID commits to, as 0x-hex. */
export function sha256OfCid(cid: string): Bytes32 {
  return `0x${digestHexOfCid(cid) ?? Buffer.from(CID.parse(cid).multihash.digest).toString("hex")}` as Bytes32;
}

/** The digest of a CID written as `contentId` writes them (base32 CIDv1, raw, sha2-256), as hex; else undefined. */
function digestHexOfCid(cid: string): string | undefined {
  if (cid.length !== 59 || cid[0] !== "b") return undefined;
  const bytes = Buffer.allocUnsafe(36);
  let value = 0;
  let bits = 0;
  let at = 0;
  for (let index = 1; index < cid.length; index++) {
    const digit = BASE32.indexOf(cid[index] as string);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if (at !== 36 || CID_PREFIX.some((byte, index) => bytes[index] !== byte)) return undefined;
  return bytes.subarray(4).toString("hex");
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
 * not hash to it (a write cut short) is replaced atomically (temp file + rename). Trainers' updates, a thousand per
 * round, are appended instead to a segment file per round (`putInSegment`, `BlobSegments`: one `writev` and one
 * `fdatasync` for all the updates of a moment, durable before the call returns). Reads find a blob by CID wherever
 * it is, re-hash it and refuse corrupted bytes, so a partial write is never served or aggregated; a row naming a
 * blob is only written once its write completed. Blobs this process wrote lately (up to 256 MiB, oldest dropped
 * first) are read back by `getOwn` from memory without re-hashing: they were hashed when written.
 */
export class BlobStore {
  readonly #dir: string;
  readonly #segments: BlobSegments;
  /** Directories known to exist. */
  readonly #made = new Set<string>();
  /** Recently written blobs by CID, oldest first. */
  readonly #recent = new Map<string, Uint8Array>();
  #recentBytes = 0;

  constructor(dataDir: string) {
    this.#dir = path.join(dataDir, "blobs");
    this.#segments = new BlobSegments(path.join(this.#dir, "segments"));
  }

  /**
   * Stores bytes whose CID the caller computed (`contentId`) at the end of `group`'s segment (one per round: the
   * updates of a round are written together and can be dropped together), unless they are stored already; returns
   * whether this call stored them. Durable (`fdatasync`) when it resolves.
   */
  async putInSegment(group: string, bytes: Uint8Array, id: { cid: Cid; sha256: Bytes32 }): Promise<boolean> {
    const created = await this.#segments.append(group, bytes, Buffer.from(id.sha256.slice(2), "hex"));
    this.#remember(id.cid, bytes);
    return created;
  }

  /** Closes the segment files open for appending. */
  async close(): Promise<void> {
    await this.#segments.close();
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
      const cid = cidOfDigest(digest);
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
    const bytes = await this.#read(cid);
    const actual = contentId(bytes);
    if (actual.cid !== cid) throw new BlobCorruptedError(cid, actual.sha256);
    return bytes;
  }

  /** The stored bytes under `cid`, from a segment or its own file (not checked yet). */
  async #read(cid: string): Promise<Buffer> {
    const file = this.#path(cid);
    const digest = digestHexOfCid(cid);
    const known = digest === undefined ? undefined : this.#segments.known(digest);
    if (known !== undefined) return this.#segments.read(known);
    try {
      return await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    // Appended to a segment since this process last looked (by another replica sharing the directory).
    const located = digest === undefined ? undefined : await this.#segments.locate(digest);
    if (located === undefined) throw new BlobNotFoundError(cid);
    return this.#segments.read(located);
  }

  /** Whether a blob is stored under `cid` (without reading it). */
  async has(cid: string): Promise<boolean> {
    const file = this.#path(cid);
    const digest = digestHexOfCid(cid);
    if (digest !== undefined && this.#segments.known(digest) !== undefined) return true;
    const inFile = await stat(file).then(
      () => true,
      () => false,
    );
    return inFile || (digest !== undefined && (await this.#segments.locate(digest)) !== undefined);
  }

  async delete(cid: string): Promise<void> {
    const recent = this.#recent.get(cid);
    if (recent !== undefined) {
      this.#recent.delete(cid);
      this.#recentBytes -= recent.byteLength;
    }
    const digest = digestHexOfCid(cid);
    if (digest !== undefined) await this.#segments.delete(Buffer.from(digest, "hex"));
    await rm(this.#path(cid), { force: true });
  }

  #path(cid: string): string {
    if (!/^b[a-z2-7]+$/.test(cid)) throw new BlobNotFoundError(cid);
    return path.join(this.#dir, cid.slice(-2), cid);
  }
}
