import { CLIP_MARGIN } from "./clip-update.js";
import { InvalidPrivacyParameterError } from "./errors.js";
import { l2Norm } from "./l2-norm.js";
import type { LayerSegments } from "./layer-segments.js";
import { checkPositive } from "./privacy-parameters.js";

/** A vector the clipped rows are summed into. */
export type SumBuffer = Float32Array | Float64Array;

function checkShape(perExample: Float32Array, numExamples: number, dimension: number, sum: SumBuffer): void {
  if (!(Number.isSafeInteger(numExamples) && numExamples >= 0)) {
    throw new InvalidPrivacyParameterError("numExamples", numExamples, "must be a non-negative integer");
  }
  if (perExample.length !== numExamples * dimension) {
    throw new InvalidPrivacyParameterError(
      "perExample.length",
      perExample.length,
      `must be numExamples × ${dimension} = ${numExamples * dimension}`,
    );
  }
  if (sum.length !== dimension)
    throw new InvalidPrivacyParameterError("sum.length", sum.length, `must be ${dimension}`);
}

/**
 * DP-SGD's per-example clipping (Abadi et al. 2016), flat: each row of the row-major [numExamples × d] matrix of
 * per-example (or per-micro-batch) gradients is scaled to L2 norm at most `clipNorm`, and the clipped rows are
 * added into `sum` (not zeroed here). The sensitivity of the sum to one example is `clipNorm` (rows are scaled
 * 2^-20 inside it, `CLIP_MARGIN`, so float rounding cannot exceed it). Norms are
 * accumulated in float64; nothing is allocated. `norms`, when given, receives each row's norm before clipping.
 * Returns how many rows were scaled down.
 */
export function clipPerExample(
  perExample: Float32Array,
  numExamples: number,
  clipNorm: number,
  sum: SumBuffer,
  norms?: Float32Array | Float64Array,
): number {
  checkPositive(clipNorm, "clipNorm");
  const d = sum.length;
  checkShape(perExample, numExamples, d, sum);
  let clipped = 0;
  for (let row = 0; row < numExamples; row++) {
    const start = row * d;
    const norm = l2Norm(perExample, start, start + d);
    if (norms !== undefined) norms[row] = norm;
    let scale = 1;
    if (norm > clipNorm) {
      scale = (clipNorm / norm) * CLIP_MARGIN;
      clipped++;
    }
    for (let j = 0; j < d; j++) sum[j] = (sum[j] as number) + scale * (perExample[start + j] as number);
  }
  return clipped;
}

/**
 * Per-layer clipping: within each row, tensor t (its `segments` slice) is clipped to `clipNorms[t]` on its own.
 * The sum's L2 sensitivity is √(Σ C_t²) (`perLayerSensitivity`). Returns how many (row, tensor) slices were
 * scaled down.
 */
export function clipPerExamplePerLayer(
  perExample: Float32Array,
  numExamples: number,
  segments: LayerSegments,
  clipNorms: ArrayLike<number>,
  sum: SumBuffer,
): number {
  const layers = segments.bounds.length - 1;
  if (clipNorms.length !== layers) {
    throw new InvalidPrivacyParameterError("clipNorms.length", clipNorms.length, `must be ${layers}`);
  }
  for (let t = 0; t < layers; t++) checkPositive(clipNorms[t] as number, `clipNorms[${t}]`);
  const d = segments.length;
  checkShape(perExample, numExamples, d, sum);
  let clipped = 0;
  for (let row = 0; row < numExamples; row++) {
    const base = row * d;
    for (let t = 0; t < layers; t++) {
      const from = segments.bounds[t] as number;
      const to = segments.bounds[t + 1] as number;
      const norm = l2Norm(perExample, base + from, base + to);
      const bound = clipNorms[t] as number;
      let scale = 1;
      if (norm > bound) {
        scale = (bound / norm) * CLIP_MARGIN;
        clipped++;
      }
      for (let j = from; j < to; j++) sum[j] = (sum[j] as number) + scale * (perExample[base + j] as number);
    }
  }
  return clipped;
}
