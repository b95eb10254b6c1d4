import { z } from "zod";
import { InvalidInputError, parseInput } from "./parse.js";
import { bytesToWeights, weightsToBytes } from "./weights-bytes.js";

/**
 * A labelled held-out set, in memory: the researcher's validation examples that the coordinator scores models
 * on. Features are the model's inputs as they are (no scaling is applied on the way in: encode 8-bit pixels
 * already divided by 255 if the trainers' data is scaled that way); labels are class indices.
 */
export interface ValidationSet {
  /** Shape of one example's features, e.g. `[28, 28]` or `[784]`; its product is the features per example. */
  readonly featureShape: readonly number[];
  /** `count × product(featureShape)` float32 values, example after example, each row-major. */
  readonly features: Float32Array;
  /** One class index (≥ 0) per example. */
  readonly labels: Int32Array;
  readonly count: number;
}

/** ASCII "TRVS": TRibutary Validation Set. */
const MAGIC = [0x54, 0x52, 0x56, 0x53] as const;
export const VALIDATION_SET_VERSION = 1;
/** Ranks above this are refused: no layer this project builds takes more than a few input dimensions. */
const MAX_RANK = 8;
const UINT32_MAX = 0xffff_ffff;

/** Byte offsets of the fixed header fields. */
const VERSION_AT = 4;
const RANK_AT = 8;
const DIMS_AT = 12;

/**
 * Bytes that are not a well-formed validation set: says what is wrong and at which byte offset. Its code is
 * `INVALID_INPUT` (like every malformed upload), so the coordinator answers 400.
 */
export class ValidationSetFormatError extends InvalidInputError {
  /** Offset (from the start of the blob) of the first byte that is wrong or missing. */
  readonly offset: number;

  constructor(field: string, problem: string, offset: number) {
    super("ValidationSet", [{ path: `ValidationSet.${field}`, message: `${problem} (at byte offset ${offset})` }]);
    this.offset = offset;
  }
}

const ValidationSetInputSchema = z
  .object({
    featureShape: z.array(z.number().int().min(1).max(UINT32_MAX)).min(1).max(MAX_RANK),
    features: z.instanceof(Float32Array),
    labels: z.instanceof(Int32Array),
  })
  .superRefine((set, ctx) => {
    if (set.labels.length < 1) ctx.addIssue({ code: "custom", message: "a validation set needs ≥ 1 example" });
    const size = set.featureShape.reduce((product, dim) => product * dim, 1);
    if (set.features.length !== set.labels.length * size) {
      ctx.addIssue({
        code: "custom",
        path: ["features"],
        message: `${set.labels.length} labels of feature shape [${set.featureShape}] need ${set.labels.length * size} features, got ${set.features.length}`,
      });
    }
    const badFeature = set.features.findIndex((value) => !Number.isFinite(value));
    if (badFeature >= 0) {
      ctx.addIssue({ code: "custom", path: ["features", badFeature], message: "features must be finite numbers" });
    }
    const badLabel = set.labels.findIndex((label) => label < 0);
    if (badLabel >= 0) {
      ctx.addIssue({ code: "custom", path: ["labels", badLabel], message: "labels are class indices ≥ 0" });
    }
  });

/**
 * Encodes a labelled held-out set as the blob a researcher uploads. All numbers little-endian:
 *
 * | offset          | size          | field                                                   |
 * |-----------------|---------------|---------------------------------------------------------|
 * | 0               | 4             | magic `54 52 56 53` (ASCII "TRVS")                      |
 * | 4               | 4             | uint32 format version, `1`                              |
 * | 8               | 4             | uint32 rank `r` of one example's feature shape, 1–8     |
 * | 12              | 4·r           | uint32 dims `d₀ … d_{r-1}`, each ≥ 1                    |
 * | 12 + 4r         | 4             | uint32 example count `n` ≥ 1                            |
 * | H = 16 + 4r     | 4·n·s         | float32 features (s = d₀·…·d_{r-1}), example-major      |
 * | H + 4·n·s       | 4·n           | int32 labels, class indices ≥ 0                         |
 *
 * Every field starts at a multiple of 4, and the blob ends exactly after the last label. The count is the
 * number of labels. Throws `InvalidInputError` when the set is inconsistent (lengths, non-finite features,
 * negative labels, rank outside 1–8).
 */
export function encodeValidationSet(set: Pick<ValidationSet, "featureShape" | "features" | "labels">): Uint8Array {
  const { featureShape, features, labels } = parseInput(ValidationSetInputSchema, set, "ValidationSet");
  const rank = featureShape.length;
  const count = labels.length;
  const headerBytes = 16 + 4 * rank;
  const bytes = new Uint8Array(headerBytes + 4 * features.length + 4 * count);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(VERSION_AT, VALIDATION_SET_VERSION, true);
  view.setUint32(RANK_AT, rank, true);
  featureShape.forEach((dim, i) => {
    view.setUint32(DIMS_AT + 4 * i, dim, true);
  });
  view.setUint32(DIMS_AT + 4 * rank, count, true);
  bytes.set(weightsToBytes(features), headerBytes);
  const labelsAt = headerBytes + 4 * features.length;
  for (let i = 0; i < count; i++) view.setInt32(labelsAt + 4 * i, labels[i] as number, true);
  return bytes;
}

/**
 * Decodes a blob made by `encodeValidationSet` (layout in its doc comment) into arrays the caller owns (the
 * input may start at any byte offset). Throws `ValidationSetFormatError` naming the field and byte offset when
 * the blob is truncated, has bytes after the labels, has the wrong magic or version, a rank outside 1–8, a zero
 * dimension or count, a non-finite feature or a negative label.
 */
export function decodeValidationSet(bytes: Uint8Array): ValidationSet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  const need = (field: string, end: number, what: string) => {
    if (length < end) throw new ValidationSetFormatError(field, `truncated: ${what} needs bytes up to ${end}`, length);
  };

  need("magic", 4, "the magic number");
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new ValidationSetFormatError("magic", `not a validation set: magic is ${got}, expected 54 52 56 53`, 0);
  }
  need("version", VERSION_AT + 4, "the version");
  const version = view.getUint32(VERSION_AT, true);
  if (version !== VALIDATION_SET_VERSION) {
    throw new ValidationSetFormatError(
      "version",
      `unsupported version ${version} (this reader knows ${VALIDATION_SET_VERSION})`,
      VERSION_AT,
    );
  }
  need("rank", RANK_AT + 4, "the rank");
  const rank = view.getUint32(RANK_AT, true);
  if (rank < 1 || rank > MAX_RANK) {
    throw new ValidationSetFormatError("rank", `rank ${rank} is outside 1–${MAX_RANK}`, RANK_AT);
  }
  need("featureShape", DIMS_AT + 4 * rank, `a feature shape of rank ${rank}`);
  const featureShape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(DIMS_AT + 4 * i, true);
    if (dim < 1) throw new ValidationSetFormatError(`featureShape[${i}]`, "a dimension is 0", DIMS_AT + 4 * i);
    featureShape.push(dim);
  }
  const countAt = DIMS_AT + 4 * rank;
  need("count", countAt + 4, "the example count");
  const count = view.getUint32(countAt, true);
  if (count < 1) throw new ValidationSetFormatError("count", "the set has no examples", countAt);

  const featuresAt = countAt + 4;
  const size = featureShape.reduce((product, dim) => product * dim, 1);
  // Products of uint32 fields can exceed 2^53; then the true total exceeds any real length too, so the
  // comparisons below still hold (only a total equal to the length must be exact, and that one is < 2^53).
  const labelsAt = featuresAt + 4 * count * size;
  const end = labelsAt + 4 * count;
  need("features", labelsAt, `${count} examples of shape [${featureShape}] (${count * size} float32)`);
  need("labels", end, `${count} int32 labels`);
  if (length > end) {
    throw new ValidationSetFormatError("labels", `${length - end} unexpected bytes after the last label`, end);
  }

  const features = bytesToWeights(bytes.subarray(featuresAt, labelsAt));
  const badFeature = features.findIndex((value) => !Number.isFinite(value));
  if (badFeature >= 0) {
    throw new ValidationSetFormatError(
      `features[${badFeature}]`,
      `feature ${badFeature % size} of example ${Math.floor(badFeature / size)} is ${features[badFeature]}, not a finite number`,
      featuresAt + 4 * badFeature,
    );
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = view.getInt32(labelsAt + 4 * i, true);
    if (label < 0) {
      throw new ValidationSetFormatError(
        `labels[${i}]`,
        `label ${label} of example ${i} is negative (labels are class indices)`,
        labelsAt + 4 * i,
      );
    }
    labels[i] = label;
  }
  return { featureShape, features, labels, count };
}
