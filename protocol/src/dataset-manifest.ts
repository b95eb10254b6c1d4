import { getBytes, sha256, toUtf8Bytes } from "ethers";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import type { Bytes32, Cid } from "./ids.js";
import { parseInput } from "./parse.js";

const count = z.number().int().nonnegative();

export const DatasetShardSchema = z.strictObject({
  /** File name without directories (paths differ between machines; content is pinned by the hash). */
  name: z.string().min(1).max(255),
  role: z.enum(["images", "labels", "records"]),
  /** SHA-256 of the file's bytes as stored on disk (compressed bytes for a .gz file), lower-case hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: count,
});
export type DatasetShard = z.infer<typeof DatasetShardSchema>;

/**
 * What a data owner enrols: the dataset's schema and content, never its records. Its commitment (SHA-256 of the
 * canonical JSON) goes on chain; a trainer checks the files it loads against it before every job, and the
 * coordinator checks the manifest a trainer uploads against it and takes the dataset's record count from it.
 */
export const DatasetManifestSchema = z
  .strictObject({
    version: z.literal(1),
    format: z.enum(["idx", "csv", "jsonl"]),
    /** At most 2^53 − 1: counts stay exact as JavaScript numbers (and in the coordinator's bigint columns). */
    recordCount: count.max(Number.MAX_SAFE_INTEGER),
    featureShape: z.array(z.number().int().positive()).min(1).max(4),
    numClasses: z.number().int().positive().max(65_536),
    /** Records per class; `numClasses` entries summing to `recordCount`. */
    labelHistogram: z.array(count),
    /** The CSV column holding the label (CSV only). */
    labelColumn: z.string().min(1).optional(),
    shards: z.array(DatasetShardSchema).min(1).max(10_000),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.labelHistogram.length !== manifest.numClasses) {
      ctx.addIssue({ code: "custom", path: ["labelHistogram"], message: "needs one entry per class" });
    }
    if (manifest.labelHistogram.reduce((a, b) => a + b, 0) !== manifest.recordCount) {
      ctx.addIssue({ code: "custom", path: ["labelHistogram"], message: "does not sum to recordCount" });
    }
  });
export type DatasetManifest = z.infer<typeof DatasetManifestSchema>;

/** The manifest's canonical JSON (sorted keys, no whitespace) as UTF-8: the bytes its commitment hashes. */
export function manifestBytes(manifest: DatasetManifest): Uint8Array {
  return toUtf8Bytes(canonicalJson(parseInput(DatasetManifestSchema, manifest, "DatasetManifest")));
}

/** The manifest's commitment: SHA-256 of its canonical JSON (sorted keys, no whitespace), as 0x-prefixed bytes32. */
export function manifestCommitment(manifest: DatasetManifest): Bytes32 {
  return sha256(manifestBytes(manifest)) as Bytes32;
}

/**
 * The IPFS CIDv1 (raw codec, sha2-256) of the manifest's canonical JSON: the name an IPFS node gives those bytes
 * (`ipfs add --cid-version 1 --raw-leaves`, one block up to 256 KiB). Its digest is the commitment itself, so the
 * manifest found under it can be checked against the chain without trusting whoever served it.
 */
export function manifestCid(manifest: DatasetManifest): Cid {
  return commitmentCid(manifestCommitment(manifest));
}

/** The CID of the manifest a commitment hashes (`manifestCid` from the commitment alone). */
export function commitmentCid(commitment: Bytes32): Cid {
  const RAW_CODEC = 0x55;
  const SHA2_256 = 0x12;
  return CID.create(1, RAW_CODEC, Digest.create(SHA2_256, getBytes(commitment))).toString() as Cid;
}
