import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CoordinatorHttpError } from "@tributary/auditor";
import { bytesToWeights, layoutFromSpec, layoutLength, type ModelMetadata } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { RefusedError } from "../chain/run-command.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { LAYERS_MODEL_FILES, writeLayersModel } from "../job/job-model.js";
import { type ModelsOnChain, readListedModel } from "./model-catalogue.js";

/** The files `model download` writes: the tfjs layers model, the flat weights and the model's metadata. */
export const LICENSED_MODEL_FILES = { ...LAYERS_MODEL_FILES, metadata: "model-metadata.json" } as const;

export interface LicensedModel {
  readonly modelId: string;
  readonly jobId: string;
  /** SHA-256 of the weights: the `modelHash` registered on ModelRegistry. */
  readonly sha256: string;
  readonly parameters: number;
  readonly metadata: ModelMetadata;
  readonly files: Record<keyof typeof LICENSED_MODEL_FILES, string>;
}

/** What the coordinator's refusal to serve the weights means, said with what the chain says of the licence. */
async function refusal(chain: ModelsOnChain, modelId: bigint, buyer: string, error: CoordinatorHttpError) {
  if (await chain.models.hasLicense(modelId, buyer)) {
    return new RefusedError(
      "DOWNLOAD_REFUSED",
      `${buyer} holds a licence for model ${modelId} on chain, but the coordinator refused the weights (${error.status}: ${error.message}); it may follow another ModelRegistry, or not count the purchase until it is confirmed`,
      { status: error.status },
    );
  }
  return new RefusedError(
    "NO_LICENCE",
    `the coordinator refused model ${modelId}'s weights (${error.status}): ${buyer} holds no licence for it; buy one with tributary model buy ${modelId} --max-price …`,
    { status: error.status },
  );
}

/**
 * Downloads the weights of registered model `modelId` as the signed-in `buyer` (`GET /licensed-models/:id`, which
 * the coordinator serves only to a licence holder it finds on chain), checks them before anything is written (their
 * SHA-256 must be the `modelHash` registered on ModelRegistry, their length the layout's of the checked metadata),
 * and writes them into `dir` as a tfjs layers model, the flat weights and the metadata.
 */
export async function downloadLicensedModel(input: {
  readonly chain: ModelsOnChain;
  readonly coordinatorUrl: string;
  readonly buyer: Wallet;
  readonly modelId: bigint;
  readonly dir: string;
}): Promise<LicensedModel> {
  const { chain, modelId, buyer } = input;
  const model = await readListedModel(chain, input.coordinatorUrl, modelId);
  const metadata = model.metadata;
  if (metadata === null) {
    throw new RefusedError(
      "METADATA_UNAVAILABLE",
      `model ${modelId}'s metadata (its layout) cannot be had or does not check out: ${model.metadataProblem}`,
    );
  }
  const who = buyer.address.toLowerCase();
  const coordinator = await CoordinatorClient.signIn(input.coordinatorUrl, buyer, Number(chain.chainId));
  let blob: Awaited<ReturnType<CoordinatorClient["download"]>>;
  try {
    blob = await coordinator.download(`/licensed-models/${modelId}`);
  } catch (error) {
    if (error instanceof CoordinatorHttpError && (error.status === 401 || error.status === 403)) {
      throw await refusal(chain, modelId, who, error);
    }
    throw error;
  }
  if (blob.sha256 !== model.modelHash) {
    throw new RefusedError(
      "MODEL_MISMATCH",
      `the weights the coordinator served for model ${modelId} have SHA-256 ${blob.sha256}, but ModelRegistry registered ${model.modelHash}: not writing them`,
      { sha256: blob.sha256, expected: model.modelHash },
    );
  }
  const weights = bytesToWeights(blob.bytes);
  const expected = layoutLength(layoutFromSpec(metadata.jobSpec.model));
  if (weights.length !== expected) {
    throw new RefusedError("MODEL_MISMATCH", `model ${modelId} has ${weights.length} weights, its layout ${expected}`);
  }
  const written = await writeLayersModel(metadata.jobSpec.model, weights, `tributary model ${modelId}`, input.dir);
  const metadataFile = path.join(input.dir, LICENSED_MODEL_FILES.metadata);
  await writeFile(metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
  return {
    modelId: String(modelId),
    jobId: model.jobId,
    sha256: blob.sha256,
    parameters: weights.length,
    metadata,
    files: { ...written, metadata: metadataFile },
  };
}
