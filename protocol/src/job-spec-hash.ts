import { sha256 } from "ethers";
import { canonicalJson } from "./canonical-json.js";
import type { Bytes32 } from "./ids.js";
import { type JobSpec, type JobSpecInput, JobSpecSchema } from "./job-spec.js";
import { parseInput } from "./parse.js";

/**
 * The bytes an on-chain job's `modelSpecHash` commits to: the JobSpec as parsed (defaults filled in), as canonical
 * JSON (object keys sorted, no whitespace), UTF-8. The coordinator stores exactly these bytes as the spec's blob.
 */
export function jobSpecBytes(spec: JobSpec | JobSpecInput): Uint8Array {
  return new TextEncoder().encode(canonicalJson(parseInput(JobSpecSchema, spec, "JobSpec")));
}

/** `modelSpecHash` of `TrainingJobs.createJob`: SHA-256 of `jobSpecBytes(spec)`, 0x-prefixed. */
export function jobSpecHash(spec: JobSpec | JobSpecInput): Bytes32 {
  return sha256(jobSpecBytes(spec)) as Bytes32;
}
