import { commitmentCid } from "./dataset-manifest.js";
import type { Bytes32, DatasetId } from "./ids.js";
import { type JobSpec, JobSpecSchema } from "./job-spec.js";
import { layoutLength } from "./model-layout.js";
import { InvalidInputError, parseInput } from "./parse.js";
import { layoutFromSpec } from "./spec-layout.js";
import { decodeValidationSet, type ValidationSet } from "./validation-set.js";

/**
 * A valid CID (CIDv1 raw, SHA-256 of no bytes) that stands in for the validation set's CID while the spec is checked,
 * before the set is uploaded and its real CID is known.
 */
const PENDING_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
/** The stand-in for an FLTrust root dataset's CID (another valid CID, so the two never look like the same set). */
const PENDING_ROOT_CID = commitmentCid(`0x${"01".repeat(32)}` as Bytes32);

/** A labelled set to upload: its bytes and what they decode to. */
interface LabelledSetFile {
  readonly bytes: Uint8Array;
  readonly decoded: ValidationSet;
}

/** A JobSpec checked before anything is uploaded or spent, with the validation set it will be scored on. */
export interface PreparedJobSpec {
  /** The spec as parsed (defaults filled in). With `validationSet`, its `scoring.validationSetCid` is a stand-in. */
  readonly spec: JobSpec;
  /** Trainable parameters of the model. */
  readonly parameters: number;
  /** The held-out set to upload (its bytes and what they decode to); absent when the spec scores by examples. */
  readonly validationSet?: LabelledSetFile;
  /** FLTrust's root dataset to upload; with it, the spec's `strategy.rootDatasetCid` is a stand-in. */
  readonly rootDataset?: LabelledSetFile;
}

/** What a researcher gives: the spec file's JSON and the command-line values that fill or override it. */
export interface JobSpecSources {
  readonly spec: unknown;
  /** Dataset ids on DatasetRegistry (override the spec's `datasetIds`). */
  readonly datasetIds?: readonly DatasetId[] | undefined;
  /** Override the spec's `rounds`. */
  readonly rounds?: number | undefined;
  /** Override the spec's `auditors`: who besides the researcher may read the job's blobs to audit it. */
  readonly auditors?: readonly string[] | undefined;
  /** The held-out set in `encodeValidationSet`'s format (the spec's `scoring.validationSetCid` is filled on upload). */
  readonly validationSet?: Uint8Array | undefined;
  /** FLTrust's root dataset in the same format (the spec's `strategy.rootDatasetCid` is filled on upload). */
  readonly rootDataset?: Uint8Array | undefined;
}

function invalid(path: string, message: string): InvalidInputError {
  return new InvalidInputError("JobSpec", [{ path: `JobSpec.${path}`, message }]);
}

/** The scoring the spec asks for, with the validation set given on the command line taken into account. */
function scoringOf(raw: Record<string, unknown>, hasSet: boolean): unknown {
  const scoring = raw.scoring as { method?: unknown; validationSetCid?: unknown } | undefined;
  if (scoring === undefined) return hasSet ? { method: "gtg-shapley", validationSetCid: PENDING_CID } : undefined;
  if (typeof scoring !== "object" || scoring === null) return scoring;
  const needsSet = scoring.method === "leave-one-out" || scoring.method === "gtg-shapley";
  if (hasSet && !needsSet) {
    throw invalid(
      "scoring.method",
      `is ${String(scoring.method)}, which uses no validation set: drop the validation set or score by gtg-shapley or leave-one-out`,
    );
  }
  if (hasSet) {
    if (scoring.validationSetCid !== undefined) {
      throw invalid("scoring.validationSetCid", "is given and so is a validation set file: give one or the other");
    }
    return { ...scoring, validationSetCid: PENDING_CID };
  }
  if (needsSet && scoring.validationSetCid === undefined) {
    throw invalid(
      "scoring.validationSetCid",
      `is missing: ${String(scoring.method)} scores on the researcher's held-out set; give a validation set (the CLI's --validation-set FILE)`,
    );
  }
  return scoring;
}

/**
 * Checks a researcher's job before anything is uploaded or spent: the spec parses (every problem named by its
 * path), its model can be built, and the validation set decodes and fits the model's input (and its classes).
 * Command-line dataset ids, rounds and auditors replace the spec's; a validation set without a `scoring` in the spec means
 * GTG-Shapley scoring on it; a root dataset fills an `fltrust` strategy's `rootDatasetCid` (and the same checks).
 */
export function prepareJobSpec(sources: JobSpecSources): PreparedJobSpec {
  if (typeof sources.spec !== "object" || sources.spec === null || Array.isArray(sources.spec)) {
    throw new InvalidInputError("JobSpec", [{ path: "JobSpec", message: "must be a JSON object" }]);
  }
  const raw = { ...(sources.spec as Record<string, unknown>) };
  if (sources.datasetIds !== undefined) raw.datasetIds = [...sources.datasetIds];
  if (sources.rounds !== undefined) raw.rounds = sources.rounds;
  if (sources.auditors !== undefined) raw.auditors = [...sources.auditors];
  const scoring = scoringOf(raw, sources.validationSet !== undefined);
  if (scoring !== undefined) raw.scoring = scoring;
  const strategy = strategyOf(raw, sources.rootDataset !== undefined);
  if (strategy !== undefined) raw.strategy = strategy;
  const spec = parseInput(JobSpecSchema, raw, "JobSpec");
  let parameters: number;
  try {
    parameters = layoutLength(layoutFromSpec(spec.model));
  } catch (error) {
    throw invalid("model", (error as Error).message);
  }
  const validationSet =
    sources.validationSet === undefined ? undefined : labelledSet(spec, "validation set", sources.validationSet);
  const rootDataset =
    sources.rootDataset === undefined ? undefined : labelledSet(spec, "root dataset", sources.rootDataset);
  if (validationSet !== undefined && rootDataset !== undefined && sameBytes(validationSet.bytes, rootDataset.bytes)) {
    throw invalid("strategy.rootDatasetCid", "is the validation set: give a separate root dataset");
  }
  return {
    spec,
    parameters,
    ...(validationSet === undefined ? {} : { validationSet }),
    ...(rootDataset === undefined ? {} : { rootDataset }),
  };
}

/** The strategy the spec asks for, with the root dataset given on the command line taken into account. */
function strategyOf(raw: Record<string, unknown>, hasRoot: boolean): unknown {
  const strategy = raw.strategy as { name?: unknown; rootDatasetCid?: unknown } | undefined;
  if (!hasRoot) return strategy;
  if (typeof strategy !== "object" || strategy === null || strategy.name !== "fltrust") {
    throw invalid(
      "strategy.name",
      "is not fltrust, the only strategy that trains on a root dataset: drop the root dataset or choose fltrust",
    );
  }
  if (strategy.rootDatasetCid !== undefined) {
    throw invalid("strategy.rootDatasetCid", "is given and so is a root dataset file: give one or the other");
  }
  return { ...strategy, rootDatasetCid: PENDING_ROOT_CID };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** A set given as a file: it decodes, fits the model's input, and names only classes the model has. */
function labelledSet(spec: JobSpec, what: "validation set" | "root dataset", bytes: Uint8Array): LabelledSetFile {
  const decoded = decodeValidationSet(bytes);
  const shape = decoded.featureShape.join("×");
  if (shape !== spec.model.inputShape.join("×")) {
    throw new InvalidInputError(what, [
      {
        path: "ValidationSet.featureShape",
        message: `is ${shape}, the model takes ${spec.model.inputShape.join("×")}`,
      },
    ]);
  }
  const classes = spec.model.numClasses;
  const outside = classes === undefined ? -1 : decoded.labels.findIndex((label) => label >= classes);
  if (outside >= 0) {
    throw new InvalidInputError(what, [
      {
        path: `ValidationSet.labels[${outside}]`,
        message: `is ${decoded.labels[outside]}, the model has ${classes} classes (0 to ${Number(classes) - 1})`,
      },
    ]);
  }
  return { bytes, decoded };
}
