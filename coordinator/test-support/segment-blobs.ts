import { open, readdir } from "node:fs/promises";
import path from "node:path";
import { BlobStore, sha256OfCid } from "../src/blobs/blob-store.js";
import type { Coordinator } from "../src/create-coordinator.js";

/** Deletes a blob through a running coordinator's own store (for an update blob: a tombstone in its segment). */
export async function deleteStoredBlob(coordinator: Coordinator, cid: string): Promise<void> {
  await coordinator.app.get(BlobStore).delete(cid);
}

/**
 * Overwrites, on disk, the bytes of an update blob stored in a segment file (`<dataDir>/blobs/segments/*.seg`, as
 * `BlobSegments` writes them: a 48-byte header whose last 32 bytes are the SHA-256, then the bytes), as a disk fault
 * or an intruder would: the same length, other content. Throws when no segment holds the blob.
 */
export async function overwriteSegmentBlob(dataDir: string, cid: string, fill: number): Promise<void> {
  const digest = Buffer.from(sha256OfCid(cid).slice(2), "hex");
  const dir = path.join(dataDir, "blobs", "segments");
  for (const name of await readdir(dir)) {
    const file = await open(path.join(dir, name), "r+");
    try {
      const { size } = await file.stat();
      const header = Buffer.alloc(48);
      for (let offset = 0; offset + 48 <= size; ) {
        await file.read(header, 0, 48, offset);
        const length = Number(header.readBigUInt64LE(8));
        if (header.readUInt32LE(4) === 0 && header.subarray(16).equals(digest)) {
          await file.write(Buffer.alloc(length, fill), 0, length, offset + 48);
          return;
        }
        offset += 48 + length;
      }
    } finally {
      await file.close();
    }
  }
  throw new Error(`no segment holds ${cid}`);
}
