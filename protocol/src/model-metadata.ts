import { sha256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import { commitmentCid } from "./dataset-manifest.js";
import {
  AddressSchema,
  type Bytes32,
  Bytes32Schema,
  type Cid,
  CidSchema,
  DatasetIdSchema,
  JobIdSchema,
} from "./ids.js";
import { JobSpecSchema } from "./job-spec.js";
import type { ModelSpec } from "./model-spec.js";
import { parseInput } from "./parse.js";

/** Largest metadata document accepted (a JobSpec with many datasets and layers stays far below). */
export const MAX_MODEL_METADATA_BYTES = 64 * 1024;

/** What a model does, from its loss: cross-entropy losses classify, mean squared error regresses. */
export const ModelTaskSchema = z.enum(["classification", "regression"]);
export type ModelTask = z.infer<typeof ModelTaskSchema>;

/** The task of a model trained with `spec`'s loss. */
export function modelTask(spec: Pick<ModelSpec, "loss">): ModelTask {
  return spec.loss === "meanSquaredError" ? "regression" : "classification";
}

/**
 * The description of a job's final model that `ModelRegistry` commits to: its `modelURI` is `ipfs://<CID>` of
 * these canonical bytes (`modelMetadataBytes`), so whoever serves the document, its reader checks it against the
 * chain. Every value can be recomputed by anyone from public data:
 * - `modelHash`: SHA-256 of the flat weights (little-endian float32 in `jobSpec.model`'s layout order), the
 *   `modelHash` TrainingJobs anchored for the job's last round and the one registered on ModelRegistry;
 * - `jobSpec`: the JobSpec whose canonical hash is the job's `modelSpecHash` on TrainingJobs; `jobSpec.model` is
 *   the model's layout (architecture, input shape, loss);
 * - `validation`: the final model evaluated on the validation set the job was scored on (published once the job
 *   completed), or null when the job had none;
 * - `privacy`: each dataset's cumulative ε after the job, the highest its trainer signed in the job's ledger
 *   (null: that dataset trained without differential privacy).
 */
export const ModelMetadataSchema = z.strictObject({
  version: z.literal(1),
  chainId: z.number().int().positive(),
  trainingJobs: AddressSchema,
  jobId: JobIdSchema,
  modelHash: Bytes32Schema,
  /** The weights' content address at the coordinator that trained them (its digest is `modelHash`). */
  modelCid: CidSchema,
  /** Trainable values in the layout (the weights' float32 count). */
  parameters: z.number().int().positive(),
  task: ModelTaskSchema,
  jobSpec: JobSpecSchema,
  validation: z
    .strictObject({
      validationSetCid: CidSchema,
      examples: z.number().int().positive(),
      /** Fraction of examples whose most probable class is the label. */
      accuracy: z.number().min(0).max(1),
      /** Mean per-example loss (the spec's loss). */
      loss: z.number().min(0),
    })
    .nullable(),
  privacy: z.array(z.strictObject({ datasetId: DatasetIdSchema, epsilon: z.number().min(0).nullable() })),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
export type ModelMetadataInput = z.input<typeof ModelMetadataSchema>;

/** The metadata's canonical JSON (sorted keys, no whitespace) as UTF-8: the bytes its CID names. */
export function modelMetadataBytes(metadata: ModelMetadataInput): Uint8Array {
  return toUtf8Bytes(canonicalJson(parseInput(ModelMetadataSchema, metadata, "ModelMetadata")));
}

/** The IPFS CIDv1 (raw, sha2-256) of the metadata's canonical bytes; `ipfs://` + it is the model's `modelURI`. */
export function modelMetadataCid(metadata: ModelMetadataInput): Cid {
  return commitmentCid(sha256(modelMetadataBytes(metadata)) as Bytes32);
}

/** The CID a `modelURI` of the form `ipfs://<CID>` names; undefined for any other URI. */
export function metadataCidOfUri(uri: string): Cid | undefined {
  const match = /^ipfs:\/\/([a-z2-7]+)$/.exec(uri);
  if (match === null) return undefined;
  const parsed = CidSchema.safeParse(match[1]);
  return parsed.success ? parsed.data : undefined;
}

/** The largest ε any dataset of the model spent; null when one trained without DP (no bound at all). */
export function maxEpsilon(metadata: Pick<ModelMetadata, "privacy">): number | null {
  let max = 0;
  for (const { epsilon } of metadata.privacy) {
    if (epsilon === null) return null;
    if (epsilon > max) max = epsilon;
  }
  return max;
}
