import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobStore, contentId, sha256OfCid } from "./blob-store.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("BlobStore", () => {
  it("stores bytes once under their CID, and replaces a file a crash cut short instead of trusting it", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7) % 251);
    const id = contentId(bytes);
    // The CID's digest is the bytes' SHA-256, computed here independently.
    expect(id.sha256).toBe(`0x${createHash("sha256").update(bytes).digest("hex")}`);
    const file = path.join(dir, "blobs", id.cid.slice(-2), id.cid);

    // A write that a crash cut short left half the bytes under the CID.
    const first = new BlobStore(dir);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes.subarray(0, 2048));
    await expect(first.get(id.cid)).rejects.toThrow(/no longer matches its CID/);

    expect(await first.putHashed(bytes, id)).toBe(true);
    expect(new Uint8Array(await readFile(file))).toEqual(bytes);
    // The same bytes again: already stored, nothing created.
    expect(await new BlobStore(dir).putHashed(bytes, id)).toBe(false);
    expect(new Uint8Array(await new BlobStore(dir).get(id.cid))).toEqual(bytes);
  });
});

describe("BlobStore segments (a round's updates appended to one file)", () => {
  const blob = (seed: number, length = 1000) => new Uint8Array(length).map((_, i) => (i * seed + seed) % 251);

  it("stores a batch durably in one segment, finds it from another store reading the directory, and stores equal bytes once", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
    const writer = new BlobStore(dir);
    const reader = new BlobStore(dir);
    const blobs = Array.from({ length: 50 }, (_, index) => blob(index + 1, 100 + index * 37));
    // The reader looked before anything was written: a miss later reads what was appended since.
    expect(await reader.has(contentId(blobs[0] as Uint8Array).cid)).toBe(false);
    const created = await Promise.all(
      blobs.map((bytes) => writer.putInSegment("job-1-round-0", bytes, contentId(bytes))),
    );
    expect(created).toEqual(blobs.map(() => true));
    // The same bytes again (another trainer sending an identical update): not stored twice.
    expect(await writer.putInSegment("job-1-round-0", blob(1, 100), contentId(blob(1, 100)))).toBe(false);
    await writer.close();

    const files = await readdir(path.join(dir, "blobs", "segments"));
    expect(files).toHaveLength(1);
    const segment = await readFile(path.join(dir, "blobs", "segments", files[0] as string));
    // Every byte of every blob, each after its 48-byte header, and nothing else.
    expect(segment.byteLength).toBe(blobs.reduce((sum, bytes) => sum + 48 + bytes.byteLength, 0));
    for (const bytes of blobs) {
      const { cid } = contentId(bytes);
      expect(new Uint8Array(await reader.get(cid))).toEqual(bytes);
      expect(new Uint8Array(await new BlobStore(dir).get(cid))).toEqual(bytes);
    }
  });

  it("forgets a deleted blob for good (tombstone), and ignores a record a crash cut short", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
    const store = new BlobStore(dir);
    const [kept, deleted, torn] = [blob(3), blob(5), blob(7, 5000)];
    await store.putInSegment("job-2-round-1", kept, contentId(kept));
    await store.putInSegment("job-2-round-1", deleted, contentId(deleted));
    await store.delete(contentId(deleted).cid);
    expect(await store.has(contentId(deleted).cid)).toBe(false);
    await store.putInSegment("job-2-round-1", torn, contentId(torn));
    await store.close();

    // The last record loses its end, as if the machine stopped while writing it.
    const [file] = await readdir(path.join(dir, "blobs", "segments"));
    const full = path.join(dir, "blobs", "segments", file as string);
    await truncate(full, (await stat(full)).size - 1000);

    const reopened = new BlobStore(dir);
    expect(new Uint8Array(await reopened.get(contentId(kept).cid))).toEqual(kept);
    expect(await reopened.has(contentId(deleted).cid)).toBe(false);
    await expect(reopened.get(contentId(deleted).cid)).rejects.toThrow(/no blob with CID/);
    await expect(reopened.get(contentId(torn).cid)).rejects.toThrow(/no blob with CID/);
    // Stored again after the crash: found again.
    await reopened.putInSegment("job-2-round-1", torn, contentId(torn));
    expect(new Uint8Array(await new BlobStore(dir).get(contentId(torn).cid))).toEqual(torn);
    await reopened.close();
  });

  it("refuses bytes in a segment that no longer match their CID", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
    const store = new BlobStore(dir);
    const bytes = blob(11);
    await store.putInSegment("job-3-round-0", bytes, contentId(bytes));
    await store.close();
    const [file] = await readdir(path.join(dir, "blobs", "segments"));
    const full = path.join(dir, "blobs", "segments", file as string);
    const segment = await readFile(full);
    segment[48 + 10] = (segment[48 + 10] as number) ^ 0xff;
    await writeFile(full, segment);
    await expect(new BlobStore(dir).get(contentId(bytes).cid)).rejects.toThrow(/no longer matches its CID/);
  });

  it("writes CIDs as multiformats does", async () => {
    const { CID } = await import("multiformats/cid");
    const Digest = await import("multiformats/hashes/digest");
    for (const length of [0, 1, 31, 1000]) {
      const bytes = blob(length + 1, length);
      const digest = createHash("sha256").update(bytes).digest();
      expect(contentId(bytes).cid).toBe(CID.create(1, 0x55, Digest.create(0x12, digest)).toString());
      expect(sha256OfCid(contentId(bytes).cid)).toBe(`0x${digest.toString("hex")}`);
    }
  });
});
