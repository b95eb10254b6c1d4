import { canonicalJobSpecBytes, type JobSpec, type JobSpecInput, JobSpecSchema, parseInput } from "@tributary/protocol";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { BlobNotFoundError, type BlobStore } from "../blobs/blob-store.js";
import { JobSpecMismatchError, JobSpecNotFoundError } from "./chain-errors.js";
import type { ChainJobEntity } from "./chain-job.entity.js";

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

/** The blob-store CID (CIDv1, raw, sha2-256) whose digest is `modelSpecHash`: where the JobSpec's bytes live. */
export function jobSpecCid(modelSpecHash: string): string {
  const digest = Buffer.from(modelSpecHash.slice(2), "hex");
  return CID.create(1, RAW_CODEC, Digest.create(SHA2_256, digest)).toString();
}

/**
 * Stores a researcher's JobSpec in the blob store in canonical form and returns the `modelSpecHash` to put in
 * `TrainingJobs.createJob` (the blob's SHA-256) and the blob's CID.
 */
export async function storeJobSpec(
  blobs: BlobStore,
  input: JobSpecInput,
): Promise<{ spec: JobSpec; modelSpecHash: string; cid: string }> {
  const spec = parseInput(JobSpecSchema, input, "JobSpec");
  const { cid, sha256 } = await blobs.put(canonicalJobSpecBytes(spec));
  return { spec, modelSpecHash: sha256, cid };
}

/**
 * The JobSpec of an on-chain job: the blob whose SHA-256 is the job's `modelSpecHash` (the blob store re-hashes
 * on read), parsed, and checked against what the chain says (rounds, dataset ids in order).
 * Throws `JobSpecNotFoundError` when nobody uploaded it (yet), `JobSpecMismatchError` when it disagrees.
 */
export async function resolveJobSpec(blobs: BlobStore, job: ChainJobEntity): Promise<JobSpec> {
  const cid = jobSpecCid(job.modelSpecHash);
  const bytes = await blobs.get(cid).catch((error: unknown) => {
    if (error instanceof BlobNotFoundError) throw new JobSpecNotFoundError(job.modelSpecHash, cid);
    throw error;
  });
  const spec = parseInput(JobSpecSchema, JSON.parse(Buffer.from(bytes).toString("utf8")), "JobSpec");
  if (spec.rounds !== job.rounds) throw new JobSpecMismatchError(job.jobId, "rounds", job.rounds, spec.rounds);
  if (spec.datasetIds.join(",") !== job.datasetIds.join(",")) {
    throw new JobSpecMismatchError(job.jobId, "datasetIds", job.datasetIds.join(","), spec.datasetIds.join(","));
  }
  return spec;
}
