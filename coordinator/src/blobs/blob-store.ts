import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
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
 * Content-addressed blobs (models, updates, optimiser state) on disk under their CIDv1, the same ids an IPFS
 * node would give them. Writes are atomic (temp file + rename); reads re-hash and refuse corrupted bytes.
 */
export class BlobStore {
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = path.join(dataDir, "blobs");
  }

  async put(bytes: Uint8Array): Promise<{ cid: Cid; sha256: Bytes32 }> {
    const id = contentId(bytes);
    const file = this.#path(id.cid);
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, file);
    }
    return id;
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
    await rm(this.#path(cid), { force: true });
  }

  #path(cid: string): string {
    if (!/^b[a-z2-7]+$/.test(cid)) throw new BlobNotFoundError(cid);
    return path.join(this.#dir, cid.slice(-2), cid);
  }
}
