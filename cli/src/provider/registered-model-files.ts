import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { TrainingJobsReader } from "@tributary/auditor";
import type { RegisteredModel } from "@tributary/inference-provider";
import {
  bytesToWeights,
  type JobSpec,
  JobSpecSchema,
  jobSpecHash,
  layoutFromSpec,
  layoutLength,
  ModelMetadataSchema,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import type { ChainSession } from "../chain/chain-session.js";
import { RefusedError } from "../chain/run-command.js";
import { JobModelError, MODEL_FILES } from "../job/job-model.js";
import { LICENSED_MODEL_FILES } from "../model/download-licensed-model.js";

const WHAT_DIR = `the directory \`tributary job model\` writes (${MODEL_FILES.flat}, ${MODEL_FILES.spec}) or \`tributary model download\` writes (${MODEL_FILES.flat}, ${LICENSED_MODEL_FILES.metadata})`;

async function readModelFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, name));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new TributaryError("INVALID_INPUT", `--model-dir ${dir}: ${name}: ${reason} (${WHAT_DIR})`);
  }
}

async function readJson(dir: string, name: string): Promise<unknown> {
  const file = path.join(dir, name);
  try {
    return JSON.parse((await readModelFile(dir, name)).toString("utf8"));
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    throw new TributaryError("INVALID_INPUT", `${file} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * The JobSpec of the model in `dir`: `job-spec.json` (a researcher's `job model` directory), else the `jobSpec` of
 * `model-metadata.json` (a licensee's `model download` directory), whose `modelHash` must then be `modelHash`.
 */
async function readJobSpec(dir: string, modelHash: string): Promise<{ spec: JobSpec; file: string }> {
  const specFile = path.join(dir, MODEL_FILES.spec);
  if (await exists(specFile)) {
    return { spec: parseInput(JobSpecSchema, await readJson(dir, MODEL_FILES.spec), specFile), file: specFile };
  }
  const metadataFile = path.join(dir, LICENSED_MODEL_FILES.metadata);
  if (!(await exists(metadataFile))) {
    throw new TributaryError(
      "INVALID_INPUT",
      `--model-dir ${dir} has neither ${MODEL_FILES.spec} nor ${LICENSED_MODEL_FILES.metadata} (${WHAT_DIR})`,
    );
  }
  const metadata = parseInput(ModelMetadataSchema, await readJson(dir, LICENSED_MODEL_FILES.metadata), metadataFile);
  if (metadata.modelHash !== modelHash.toLowerCase()) {
    throw new JobModelError(
      "MODEL_MISMATCH",
      `${metadataFile} describes model hash ${metadata.modelHash}, not the registered ${modelHash.toLowerCase()}`,
    );
  }
  return { spec: metadata.jobSpec, file: metadataFile };
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/** Model `modelId` as ModelRegistry holds it; `MODEL_UNKNOWN` when there is none. */
async function registeredModel(chain: ChainSession, modelId: bigint) {
  const registry = await chain.contract("ModelRegistry");
  if (modelId === 0n || modelId > (await registry.modelCount())) {
    throw new RefusedError("MODEL_UNKNOWN", `ModelRegistry ${await registry.getAddress()} has no model ${modelId}`);
  }
  return { registry, model: await registry.getModel(modelId) };
}

/**
 * The weights and architecture of registered model `modelId` from `dir` (as `tributary job model` or, for a licensee,
 * `tributary model download` writes them), checked against the chain: the weights hash (SHA-256) to its `modelHash`
 * and fit the spec; and, for a model trained by a job, the spec hashes to the job's `modelSpecHash` on TrainingJobs.
 * Who may hold them is not checked here (a challenger or committee member re-executes with them).
 */
export async function readModelFiles(chain: ChainSession, modelId: bigint, dir: string): Promise<RegisteredModel> {
  const { model } = await registeredModel(chain, modelId);
  return checkModelFiles(chain, modelId, model, dir);
}

/**
 * Model `modelId` of ModelRegistry with its weights and architecture from `dir` (`readModelFiles`), checked against
 * the chain before anything is served: the model exists and is active; `server` is its provider or holds a licence;
 * then its files.
 */
export async function loadRegisteredModel(
  chain: ChainSession,
  modelId: bigint,
  dir: string,
  server: string,
): Promise<RegisteredModel> {
  const { registry, model } = await registeredModel(chain, modelId);
  if (!model.active) throw new RefusedError("MODEL_INACTIVE", `model ${modelId} is deactivated on ModelRegistry`);
  if (model.provider.toLowerCase() !== server.toLowerCase() && !(await registry.hasLicense(modelId, server))) {
    throw new RefusedError(
      "NOT_MODEL_PROVIDER",
      `${server} is neither model ${modelId}'s provider (${model.provider}) nor a licensee: it may not serve it`,
    );
  }
  return checkModelFiles(chain, modelId, model, dir);
}

async function checkModelFiles(
  chain: ChainSession,
  modelId: bigint,
  model: { modelHash: string; jobId: bigint; pricePerToken: bigint; paymentToken: string },
  dir: string,
): Promise<RegisteredModel> {
  const bytes = await readModelFile(dir, MODEL_FILES.flat);
  const sha256 = `0x${createHash("sha256").update(bytes).digest("hex")}`;
  if (sha256 !== model.modelHash.toLowerCase()) {
    throw new JobModelError(
      "MODEL_MISMATCH",
      `${path.join(dir, MODEL_FILES.flat)} has SHA-256 ${sha256}, but model ${modelId}'s modelHash on ModelRegistry is ${model.modelHash}: not using it`,
    );
  }
  const { spec, file: specFile } = await readJobSpec(dir, model.modelHash);
  const weights = bytesToWeights(bytes);
  const expected = layoutLength(layoutFromSpec(spec.model));
  if (weights.length !== expected) {
    throw new JobModelError(
      "MODEL_MISMATCH",
      `the weights have ${weights.length} values, the spec's model ${expected}`,
    );
  }
  if (model.jobId !== 0n) {
    const reader = await TrainingJobsReader.at(chain.provider, await chain.address("TrainingJobs"));
    const job = await reader.job(model.jobId);
    if (job === undefined || jobSpecHash(spec) !== job.modelSpecHash) {
      throw new JobModelError(
        "MODEL_MISMATCH",
        `${specFile}'s JobSpec hashes to ${jobSpecHash(spec)}, not to job ${model.jobId}'s modelSpecHash on TrainingJobs (${job?.modelSpecHash ?? "no such job"})`,
      );
    }
  }
  return {
    modelId,
    modelHash: sha256 as `0x${string}`,
    spec: spec.model,
    weights,
    pricePerExample: model.pricePerToken,
    paymentToken: model.paymentToken.toLowerCase(),
  };
}
