import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sha256OfCid, TrainingJobsReader } from "@tributary/auditor";
import { ensureModelBackend, LAYERS_MODEL_WEIGHTS_FILE, layersModelFiles } from "@tributary/model-runtime";
import {
  bytesToWeights,
  type JobId,
  type JobSpec,
  jobSpecHash,
  layoutFromSpec,
  layoutLength,
  type ModelSpec,
  weightsToBytes,
} from "@tributary/protocol";
import { RefusedError } from "../chain/run-command.js";
import type { CoordinatorClient } from "./coordinator-client.js";
import { JobViewSchema } from "./coordinator-views.js";
import type { WatchedChain } from "./watch-job.js";

/** The job's final model is not there yet, or what was served does not match what the chain or its CID commit to. */
export class JobModelError extends RefusedError {
  constructor(code: "MODEL_NOT_READY" | "MODEL_MISMATCH", message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/**
 * The global model a job returns (`result`: the best of its rounds on the researcher's validation set, or the last),
 * checked: its bytes hash to the CID it was served as and to the chain's anchor of its round.
 */
export interface JobModel {
  readonly jobId: JobId;
  readonly spec: JobSpec;
  readonly modelCid: string;
  /** Which model the job returns: the best of its rounds on its validation set, or the last. */
  readonly returned: "best-validation" | "last";
  /** The training round (from 0) whose output it is. */
  readonly round: number;
  /** SHA-256 of the weight bytes, `0x`-prefixed. */
  readonly sha256: string;
  /** The flat weights in the spec's `modelLayout` order. */
  readonly weights: Float32Array;
  /** What the hash was checked against: the content address, and on chain the last round's anchored `modelHash`. */
  readonly checkedAgainst: readonly ("cid" | "chain-anchor" | "chain-spec")[];
}

/**
 * Downloads the model a completed job returns (`GET /models/:cid` as the signed-in researcher) and checks it before
 * anything is written: the bytes must hash to the CID, have the spec's parameter count, and, for an on-chain job,
 * hash to the `modelHash` TrainingJobs anchored for its round, with the spec hashing to the job's
 * `modelSpecHash`, so neither the weights nor the architecture are the coordinator's word alone.
 */
export async function downloadJobModel(options: {
  readonly coordinator: CoordinatorClient;
  readonly jobId: JobId;
  readonly chain?: WatchedChain | undefined;
  /**
   * `returned` (default): the model the job's result returns; `last`: the last round's, which ModelRegistry
   * listings name (the coordinator checks a listing against the last anchored model).
   */
  readonly which?: "returned" | "last";
}): Promise<JobModel> {
  const { coordinator, jobId, chain } = options;
  const job = await coordinator.get(`/jobs/${jobId}`, JobViewSchema, `job ${jobId}`);
  if (job.status !== "completed") {
    throw new JobModelError(
      "MODEL_NOT_READY",
      `job ${jobId} is ${job.status}${job.error === null ? "" : ` (${job.error})`}: its final model exists once it completes`,
      { status: job.status },
    );
  }
  // The model the job returns (the best on its validation set, or the last); a coordinator without `result`: the last.
  const returned = options.which === "last" ? null : (job.result ?? null);
  const modelCid = returned?.modelCid ?? job.modelCid;
  const blob = await coordinator.download(`/models/${modelCid}`);
  const checkedAgainst: JobModel["checkedAgainst"][number][] = [];
  const mismatch = (what: string, expected: string) =>
    new JobModelError(
      "MODEL_MISMATCH",
      `the model the coordinator served for job ${jobId} has SHA-256 ${blob.sha256}, but ${what} is ${expected}: not writing it`,
      { sha256: blob.sha256, expected },
    );
  const committed = sha256OfCid(modelCid);
  if (committed !== blob.sha256) throw mismatch(`its CID ${modelCid} commits to`, String(committed));
  checkedAgainst.push("cid");
  if (chain !== undefined) {
    const reader = await TrainingJobsReader.at(chain.provider, chain.trainingJobs);
    const onChain = await reader.job(BigInt(jobId));
    if (onChain === undefined) {
      throw new JobModelError("MODEL_MISMATCH", `TrainingJobs at ${reader.address} knows no job ${jobId}`);
    }
    const specHash = jobSpecHash(job.spec);
    if (specHash !== onChain.modelSpecHash) {
      throw new JobModelError(
        "MODEL_MISMATCH",
        `the coordinator's JobSpec of job ${jobId} hashes to ${specHash}, but the job's modelSpecHash on chain is ${onChain.modelSpecHash}: not building a model from it`,
      );
    }
    checkedAgainst.push("chain-spec");
    // On chain rounds count from 1: training round r's output is anchored as round r + 1.
    const anchoredRound = returned === null ? onChain.rounds : returned.round + 1;
    const anchor = await reader.round(BigInt(jobId), anchoredRound);
    if (anchor.modelHash !== blob.sha256) {
      throw mismatch(`the modelHash TrainingJobs anchored for round ${anchoredRound}`, anchor.modelHash);
    }
    checkedAgainst.push("chain-anchor");
  }
  const weights = bytesToWeights(blob.bytes);
  const expected = layoutLength(layoutFromSpec(job.spec.model));
  if (weights.length !== expected) {
    throw new JobModelError(
      "MODEL_MISMATCH",
      `the model of job ${jobId} has ${weights.length} weights, its spec ${expected}`,
    );
  }
  return {
    jobId,
    spec: job.spec,
    modelCid,
    returned: returned === null ? "last" : returned.model,
    round: returned?.round ?? job.spec.rounds - 1,
    sha256: blob.sha256,
    weights,
    checkedAgainst,
  };
}

/** The files `writeLayersModel` writes into its directory. */
export const LAYERS_MODEL_FILES = {
  modelJson: "model.json",
  weightsBin: LAYERS_MODEL_WEIGHTS_FILE,
  /** The flat weights exactly as the coordinator serves and the chain hashes them (little-endian float32). */
  flat: "weights.f32",
} as const;

/** The files `writeJobModel` writes into its directory. */
export const MODEL_FILES = {
  ...LAYERS_MODEL_FILES,
  /** The job's spec: the model's architecture and how it was trained. */
  spec: "job-spec.json",
} as const;

/**
 * Writes `weights` of a model of architecture `spec` into `dir` (created if needed): a tfjs layers model
 * (`model.json` + `weights.bin`) that `tf.loadLayersModel` opens, named `name`, and the raw flat weights.
 * Returns the paths written.
 */
export async function writeLayersModel(
  spec: ModelSpec,
  weights: Float32Array,
  name: string,
  dir: string,
): Promise<Record<keyof typeof LAYERS_MODEL_FILES, string>> {
  // Building and saving a model needs any backend; a command's output must not carry the backend's log line.
  await ensureModelBackend({ log: () => {} });
  const files = await layersModelFiles(spec, weights, name);
  await mkdir(dir, { recursive: true });
  const paths = Object.fromEntries(
    Object.entries(LAYERS_MODEL_FILES).map(([key, file]) => [key, path.join(dir, file)]),
  ) as Record<keyof typeof LAYERS_MODEL_FILES, string>;
  await writeFile(paths.modelJson, files.modelJson);
  await writeFile(paths.weightsBin, files.weights);
  await writeFile(paths.flat, weightsToBytes(weights));
  return paths;
}

/**
 * Writes the model into `dir` (created if needed): the tfjs layers model and the raw flat weights
 * (`writeLayersModel`) and the JobSpec. Returns the paths written.
 */
export async function writeJobModel(model: JobModel, dir: string): Promise<Record<keyof typeof MODEL_FILES, string>> {
  const written = await writeLayersModel(model.spec.model, model.weights, `tributary job ${model.jobId}`, dir);
  const spec = path.join(dir, MODEL_FILES.spec);
  await writeFile(spec, `${JSON.stringify(model.spec, null, 2)}\n`);
  return { ...written, spec };
}
