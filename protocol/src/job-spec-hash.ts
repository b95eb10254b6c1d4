import { sha256 } from "ethers";
import type { Bytes32 } from "./ids.js";
import { canonicalJobSpecBytes, type JobSpec, type JobSpecInput, JobSpecSchema } from "./job-spec.js";
import { parseInput } from "./parse.js";

/**
 * `modelSpecHash` of `TrainingJobs.createJob`: SHA-256 of `canonicalJobSpecBytes` of the spec as parsed (defaults
 * filled in), 0x-prefixed. A researcher recomputes it to check the hash the coordinator answers for an upload.
 */
export function jobSpecHash(spec: JobSpec | JobSpecInput): Bytes32 {
  return sha256(canonicalJobSpecBytes(parseInput(JobSpecSchema, spec, "JobSpec"))) as Bytes32;
}
