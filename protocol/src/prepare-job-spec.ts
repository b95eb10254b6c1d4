import type { DatasetId } from "./ids.js";
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

/** A JobSpec checked before anything is uploaded or spent, with the validation set it will be scored on. */
export interface PreparedJobSpec {
  /** The spec as parsed (defaults filled in). With `validationSet`, its `scoring.validationSetCid` is a stand-in. */
  readonly spec: JobSpec;
  /** Trainable parameters of the model. */
  readonly parameters: number;
  /** The held-out set to upload (its bytes and what they decode to); absent when the spec scores by examples. */
  readonly validationSet?: { readonly bytes: Uint8Array; readonly decoded: ValidationSet };
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
 * GTG-Shapley scoring on it.
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
  const spec = parseInput(JobSpecSchema, raw, "JobSpec");
  let parameters: number;
  try {
    parameters = layoutLength(layoutFromSpec(spec.model));
  } catch (error) {
    throw invalid("model", (error as Error).message);
  }
  if (sources.validationSet === undefined) return { spec, parameters };
  const decoded = decodeValidationSet(sources.validationSet);
  const shape = decoded.featureShape.join("×");
  if (shape !== spec.model.inputShape.join("×")) {
    throw new InvalidInputError("validation set", [
      {
        path: "ValidationSet.featureShape",
        message: `is ${shape}, the model takes ${spec.model.inputShape.join("×")}`,
      },
    ]);
  }
  const classes = spec.model.numClasses;
  const outside = classes === undefined ? -1 : decoded.labels.findIndex((label) => label >= classes);
  if (outside >= 0) {
    throw new InvalidInputError("validation set", [
      {
        path: `ValidationSet.labels[${outside}]`,
        message: `is ${decoded.labels[outside]}, the model has ${classes} classes (0 to ${Number(classes) - 1})`,
      },
    ]);
  }
  return { spec, parameters, validationSet: { bytes: sources.validationSet, decoded } };
}
