import { randomBytes } from "node:crypto";
import {
  close as closeCallback,
  fdatasync as fdatasyncCallback,
  fstat as fstatCallback,
  open as openCallback,
  read as readCallback,
  writev as writevCallback,
} from "node:fs";
import { mkdir, open, readdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const openFd = promisify(openCallback);
const closeFd = promisify(closeCallback);
const fdatasync = promisify(fdatasyncCallback);
const fstat = promisify(fstatCallback);
const writev = promisify(writevCallback);
const readAt = promisify(readCallback);

/**
 * A record in a segment file: a 48-byte header, then `length` bytes.
 * header = magic "TBS1" (4) ‖ kind (u32 LE: 0 a blob, 1 a tombstone that deletes the same SHA-256's earlier blob in
 * this segment) ‖ length (u64 LE; 0 for a tombstone) ‖ SHA-256 of the bytes (32).
 */
const HEADER_BYTES = 48;
const MAGIC = 0x31534254; // "TBS1" little-endian
const KIND_BLOB = 0;
const KIND_TOMBSTONE = 1;

/** Segments kept open for appending at once (one per collecting round in practice); older ones are closed. */
const MAX_OPEN = 16;

/** Where a blob's bytes are: its segment file and the offset of its bytes (after the header), and their length. */
export interface SegmentLocation {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

interface Pending {
  readonly kind: typeof KIND_BLOB | typeof KIND_TOMBSTONE;
  readonly sha256: Buffer;
  readonly bytes: Uint8Array | undefined;
  resolve(created: boolean): void;
  reject(error: unknown): void;
}

/** A segment this process appends to: its file descriptor (undefined while closed), size, and queued records. */
interface Writer {
  readonly file: string;
  fd: number | undefined;
  size: number;
  readonly queue: Pending[];
  draining: Promise<void> | undefined;
}

function header(kind: number, length: number, sha256: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt32LE(kind, 4);
  bytes.writeBigUInt64LE(BigInt(length), 8);
  sha256.copy(bytes, 16);
  return bytes;
}

/**
 * Blobs appended to segment files (`<dir>/<group>.<random>.seg`) instead of one file each: the bytes of many blobs
 * written with one `writev` and made durable with one `fdatasync` (group commit), so storing a thousand updates
 * costs the event loop a few system calls, not a thousand file creations. Each process appends only to segments it
 * created (a fresh random name per group), so replicas sharing the directory never write the same file; each reads
 * every segment. Where each blob is (SHA-256 → segment, offset, length) is kept in memory and rebuilt from the
 * records' headers, read segment by segment (a miss rescans what was appended since, by this or another process). A
 * record cut short by a crash ends its segment's scan; a blob is resolved only once its record is durable.
 */
export class BlobSegments {
  readonly #dir: string;
  readonly #located = new Map<string, SegmentLocation>();
  /** Per segment file name, how far its records have been read (a record not yet complete is read again later). */
  readonly #scanned = new Map<string, number>();
  /** This process's segments by group, most recently used last. */
  readonly #writers = new Map<string, Writer>();
  #scanning: Promise<void> | undefined;
  #madeDir = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Where the blob with this SHA-256 (hex, no 0x) is, as far as this process knows without reading. */
  known(sha256Hex: string): SegmentLocation | undefined {
    return this.#located.get(sha256Hex);
  }

  /** Where the blob with this SHA-256 (hex, no 0x) is, reading new records if it is not known yet. */
  async locate(sha256Hex: string): Promise<SegmentLocation | undefined> {
    const known = this.#located.get(sha256Hex);
    if (known !== undefined) return known;
    await this.#scan();
    return this.#located.get(sha256Hex);
  }

  /** The bytes at a location (not checked: the caller re-hashes them). */
  async read(location: SegmentLocation): Promise<Buffer> {
    const fd = await openFd(path.join(this.#dir, location.segment), "r");
    try {
      const bytes = Buffer.allocUnsafe(location.length);
      let done = 0;
      while (done < location.length) {
        const { bytesRead: read } = await readAt(fd, bytes, done, location.length - done, location.offset + done);
        if (read === 0) throw new Error(`segment ${location.segment} ends before ${location.offset + location.length}`);
        done += read;
      }
      return bytes;
    } finally {
      await closeFd(fd);
    }
  }

  /**
   * Appends a blob to `group`'s segment, unless this process knows a blob with this SHA-256 is stored already
   * (without rescanning the directory: the same bytes in two segments are harmless, the first one found is read);
   * returns whether this call stored it. Resolves once the record is durable (with every record queued meanwhile:
   * one `fdatasync`).
   */
  async append(group: string, bytes: Uint8Array, sha256: Buffer): Promise<boolean> {
    if (this.#located.has(sha256.toString("hex"))) return false;
    return this.#enqueue(group, { kind: KIND_BLOB, sha256, bytes });
  }

  /**
   * Deletes a blob this process appended (a tombstone after it in its own segment); a blob of another process's
   * segment is only forgotten here.
   */
  async delete(sha256: Buffer): Promise<boolean> {
    const hex = sha256.toString("hex");
    const location = this.#located.get(hex);
    if (location === undefined) return false;
    for (const [group, writer] of this.#writers) {
      if (path.basename(writer.file) === location.segment) {
        await this.#enqueue(group, { kind: KIND_TOMBSTONE, sha256, bytes: undefined });
        return true;
      }
    }
    this.#located.delete(hex);
    return true;
  }

  /** Closes the segments open for appending (after their queued records are written). */
  async close(): Promise<void> {
    const writers = [...this.#writers.values()];
    this.#writers.clear();
    await Promise.all(
      writers.map(async (writer) => {
        await writer.draining;
        if (writer.fd !== undefined) await closeFd(writer.fd);
        writer.fd = undefined;
      }),
    );
  }

  #enqueue(group: string, record: Omit<Pending, "resolve" | "reject">): Promise<boolean> {
    const writer = this.#writer(group);
    return new Promise((resolve, reject) => {
      writer.queue.push({ ...record, resolve, reject });
      writer.draining ??= this.#drain(writer);
    });
  }

  #writer(group: string): Writer {
    let writer = this.#writers.get(group);
    if (writer !== undefined) {
      // Most recently used last.
      this.#writers.delete(group);
      this.#writers.set(group, writer);
      return writer;
    }
    const name = `${group.replace(/[^A-Za-z0-9_-]/g, "_")}.${randomBytes(6).toString("hex")}.seg`;
    writer = { file: path.join(this.#dir, name), fd: undefined, size: 0, queue: [], draining: undefined };
    this.#writers.set(group, writer);
    this.#scanned.set(name, 0);
    for (const [oldGroup, old] of this.#writers) {
      if (this.#writers.size <= MAX_OPEN) break;
      if (old.draining !== undefined || old.fd === undefined) continue;
      const fd = old.fd;
      old.fd = undefined;
      void closeFd(fd).catch(() => undefined);
      // Its blobs stay located; a later append to its group starts a new segment.
      this.#writers.delete(oldGroup);
    }
    return writer;
  }

  async #drain(writer: Writer): Promise<void> {
    try {
      // Records queued in this turn of the event loop join the first batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (writer.queue.length > 0) {
        const batch = writer.queue.splice(0, writer.queue.length);
        try {
          await this.#write(writer, batch);
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      writer.draining = undefined;
    }
  }

  /** One `writev` of every record of the batch and one `fdatasync`; then the blobs are located and resolved. */
  async #write(writer: Writer, batch: readonly Pending[]): Promise<void> {
    if (writer.fd === undefined) {
      if (!this.#madeDir) {
        await mkdir(this.#dir, { recursive: true });
        this.#madeDir = true;
      }
      const created = writer.size === 0;
      writer.fd = await openFd(writer.file, created ? "wx" : "r+");
      // The new file's directory entry is made durable too.
      if (created) await this.#syncDir();
    }
    const buffers: Uint8Array[] = [];
    const placed: { pending: Pending; created: boolean; location?: SegmentLocation }[] = [];
    const inBatch = new Set<string>();
    let offset = writer.size;
    const segment = path.basename(writer.file);
    for (const pending of batch) {
      const hex = pending.sha256.toString("hex");
      if (pending.kind === KIND_TOMBSTONE) {
        buffers.push(header(KIND_TOMBSTONE, 0, pending.sha256));
        offset += HEADER_BYTES;
        placed.push({ pending, created: true });
        inBatch.delete(hex);
        continue;
      }
      const bytes = pending.bytes as Uint8Array;
      // The same bytes twice (in this batch, or stored meanwhile): stored once.
      if (inBatch.has(hex) || this.#located.has(hex)) {
        placed.push({ pending, created: false });
        continue;
      }
      inBatch.add(hex);
      buffers.push(header(KIND_BLOB, bytes.byteLength, pending.sha256), bytes);
      placed.push({
        pending,
        created: true,
        location: { segment, offset: offset + HEADER_BYTES, length: bytes.byteLength },
      });
      offset += HEADER_BYTES + bytes.byteLength;
    }
    const fd = writer.fd;
    let written = 0;
    const total = offset - writer.size;
    // writev may write less than asked: the rest is written from where it stopped.
    let remaining = buffers;
    while (written < total) {
      const wrote = await writev(fd, remaining as NodeJS.ArrayBufferView[], writer.size + written);
      written += wrote.bytesWritten;
      if (written < total) remaining = rest(buffers, written);
    }
    await fdatasync(fd);
    writer.size = offset;
    this.#scanned.set(segment, offset);
    for (const { pending, created, location } of placed) {
      const hex = pending.sha256.toString("hex");
      if (pending.kind === KIND_TOMBSTONE) this.#located.delete(hex);
      else if (location !== undefined) this.#located.set(hex, location);
      pending.resolve(created);
    }
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.#dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Reads the records appended since the last scan to every segment in the directory (one scan at a time). */
  #scan(): Promise<void> {
    this.#scanning ??= (async () => {
      try {
        const names = await readdir(this.#dir).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return [] as string[];
          throw error;
        });
        for (const name of names) if (name.endsWith(".seg")) await this.#scanSegment(name);
      } finally {
        this.#scanning = undefined;
      }
    })();
    return this.#scanning;
  }

  async #scanSegment(name: string): Promise<void> {
    // This process's own segments are located as they are written.
    for (const writer of this.#writers.values()) if (path.basename(writer.file) === name) return;
    const fd = await openFd(path.join(this.#dir, name), "r");
    try {
      let offset = this.#scanned.get(name) ?? 0;
      const head = Buffer.allocUnsafe(HEADER_BYTES);
      const size = (await fstat(fd)).size;
      while (offset + HEADER_BYTES <= size) {
        const { bytesRead: read } = await readAt(fd, head, 0, HEADER_BYTES, offset);
        if (read < HEADER_BYTES || head.readUInt32LE(0) !== MAGIC) break;
        const kind = head.readUInt32LE(4);
        const length = Number(head.readBigUInt64LE(8));
        // A record whose bytes are not all there yet (being written, or cut short by a crash) ends the scan.
        if (offset + HEADER_BYTES + length > size) break;
        const hex = head.subarray(16, 48).toString("hex");
        if (kind === KIND_TOMBSTONE) {
          if (this.#located.get(hex)?.segment === name) this.#located.delete(hex);
        } else if (!this.#located.has(hex)) {
          this.#located.set(hex, { segment: name, offset: offset + HEADER_BYTES, length });
        }
        offset += HEADER_BYTES + length;
      }
      this.#scanned.set(name, offset);
    } finally {
      await closeFd(fd);
    }
  }
}

/** The buffers of `buffers` from byte `skip` on (the part a short `writev` left unwritten). */
function rest(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.byteLength) {
      left -= buffer.byteLength;
      continue;
    }
    out.push(left === 0 ? buffer : buffer.subarray(left));
    left = 0;
  }
  return out;
}
