import { firstNonFinite } from "../check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";

/** Euclidean norm, summed in float64. NaN or Infinity when the vector holds one. */
export function l2Norm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i] as number;
    sum += value * value;
  }
  return Math.sqrt(sum);
}

function scaledInto(out: Float32Array, vector: Float32Array, scale: number): void {
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) * scale;
}

/**
 * Norm clipping: a copy of `vector` scaled by min(1, maxNorm / ‖vector‖₂). The float32 result's norm (computed
 * in float64) never exceeds `maxNorm`: if rounding pushes it over, the scale is shrunk by a few ulps.
 * Throws `InvalidUpdateError` for NaN/±Infinity, `AggregationInputError` unless maxNorm is finite and > 0.
 */
export function normBound(vector: Float32Array, maxNorm: number): Float32Array {
  if (typeof maxNorm !== "number" || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new AggregationInputError(`normBound: maxNorm must be a finite number > 0, got ${maxNorm}`, {
      maxNorm: String(maxNorm),
    });
  }
  const norm = l2Norm(vector);
  if (!Number.isFinite(norm)) {
    const index = firstNonFinite(vector);
    throw new InvalidUpdateError("non-finite", `normBound: ${vector[index]} at index ${index}`, {
      index,
      value: String(vector[index]),
    });
  }
  const out = new Float32Array(vector.length);
  if (norm <= maxNorm) {
    out.set(vector);
    return out;
  }
  let scale = maxNorm / norm;
  scaledInto(out, vector, scale);
  while (l2Norm(out) > maxNorm) {
    scale *= 1 - 2 ** -22;
    scaledInto(out, vector, scale);
  }
  return out;
}
