import { layoutLength, type ModelLayout } from "@tributary/protocol";
import { firstNonFinite } from "../check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { l2Norm } from "./norm-bound.js";

/** The expected size (a float count, or the job's model layout) and optionally the largest allowed L2 norm. */
export type ValidateUpdateOptions = ({ readonly length: number } | { readonly layout: ModelLayout }) & {
  readonly maxNorm?: number;
};

/**
 * Checks one received update before it is aggregated: a Float32Array of the expected length, every value finite,
 * and (when `maxNorm` is given) ‖update‖₂ ≤ maxNorm. Returns the norm. Throws `InvalidUpdateError` whose
 * `reason` is "type", "length", "non-finite" (details: index, value) or "norm" (details: norm, maxNorm).
 */
export function validateUpdate(vector: Float32Array, options: ValidateUpdateOptions): number {
  const expected = "layout" in options ? layoutLength(options.layout) : options.length;
  if (!(vector instanceof Float32Array)) {
    throw new InvalidUpdateError("type", "update is not a Float32Array", { actual: typeof vector });
  }
  if (vector.length !== expected) {
    throw new InvalidUpdateError("length", `update has ${vector.length} values, expected ${expected}`, {
      expected,
      actual: vector.length,
    });
  }
  const norm = l2Norm(vector);
  if (!Number.isFinite(norm)) {
    const index = firstNonFinite(vector);
    throw new InvalidUpdateError("non-finite", `update has ${vector[index]} at index ${index}`, {
      index,
      value: String(vector[index]),
    });
  }
  const { maxNorm } = options;
  if (maxNorm !== undefined) {
    if (!Number.isFinite(maxNorm) || maxNorm <= 0) {
      throw new AggregationInputError(`validateUpdate: maxNorm must be a finite number > 0, got ${maxNorm}`, {
        maxNorm: String(maxNorm),
      });
    }
    if (norm > maxNorm) {
      throw new InvalidUpdateError("norm", `update norm ${norm} exceeds the bound ${maxNorm}`, { norm, maxNorm });
    }
  }
  return norm;
}
