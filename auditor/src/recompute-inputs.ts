import {
  type Bytes32,
  decodeValidationSet,
  type JobSpec,
  JobSpecSchema,
  parseInput,
  type ValidationSet,
} from "@tributary/protocol";
import { cidOfSha256, sha256Hex, sha256OfCid } from "./cid-digest.js";
import { fetchCoordinatorBlob } from "./coordinator-ledger.js";
import { CoordinatorHttpError, RecomputeInputError } from "./ledger-errors.js";

/** The blob's bytes, or a `RecomputeInputError` saying `refused` when the coordinator will not serve it to us. */
async function readBlob(coordinatorUrl: string, cid: string, token: string, refused: (why: string) => string) {
  let bytes: Uint8Array;
  try {
    bytes = await fetchCoordinatorBlob(coordinatorUrl, cid, token);
  } catch (error) {
    if (error instanceof CoordinatorHttpError && [401, 403, 404].includes(error.status)) {
      throw new RecomputeInputError(refused(error.message), { cid, status: error.status }, error);
    }
    throw error;
  }
  const hash = await sha256Hex(bytes);
  if (hash !== sha256OfCid(cid)) {
    throw new RecomputeInputError(`the coordinator served bytes with SHA-256 ${hash} for blob ${cid}`, { cid, hash });
  }
  return bytes;
}

/**
 * The JobSpec of an on-chain job, as the chain commits to it: the blob whose SHA-256 is the job's `modelSpecHash`
 * (read from TrainingJobs, never from the coordinator), served by the coordinator to the job's researcher, its
 * trainers and its named auditors. Throws `RecomputeInputError` when it is refused or is not a JobSpec.
 */
export async function fetchJobSpec(coordinatorUrl: string, modelSpecHash: Bytes32, token: string): Promise<JobSpec> {
  const cid = cidOfSha256(modelSpecHash);
  const bytes = await readBlob(
    coordinatorUrl,
    cid,
    token,
    (why) =>
      `cannot read the job spec ${cid} (the job's modelSpecHash ${modelSpecHash}): ${why}; only the job's researcher, its trainers and the auditors its spec names may read it`,
  );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new RecomputeInputError(`the job spec ${cid} is not JSON`, { cid }, error);
  }
  return parseInput(JobSpecSchema, json, "job spec");
}

/**
 * The validation set a job scored on, checked against its CID and decoded. Its uploader (normally the researcher)
 * may read it at any time; anyone else once a job scored on it has completed. Throws `RecomputeInputError` saying
 * so when the coordinator refuses it.
 */
export async function fetchValidationSet(
  coordinatorUrl: string,
  cid: string,
  jobId: string,
  token: string,
): Promise<ValidationSet> {
  const bytes = await readBlob(
    coordinatorUrl,
    cid,
    token,
    (why) =>
      `the validation set ${cid} is not public yet (${why}): until job ${jobId} completes only its uploader may read it, so its scores can be recomputed by others only once the job has completed`,
  );
  return decodeValidationSet(bytes);
}
