import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobStore, contentId } from "./blob-store.js";

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
