import { requireInteger, requireVectors } from "../check-vectors.js";
import { orderStatistic } from "./order-statistics.js";

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the `trim` largest and the `trim` smallest
 * of the n values and average the remaining n − 2·trim (in float64). Tolerates up to `trim` adversarial inputs.
 * Needs 0 ≤ trim and n − 2·trim ≥ 1.
 */
export function trimmedMean(vectors: ReadonlyArray<Float32Array>, trim: number): Float32Array {
  const length = requireVectors("trimmedMean", vectors);
  const n = vectors.length;
  requireInteger("trimmedMean", "trim", trim, 0, Math.floor((n - 1) / 2));
  return orderStatistic("trimmedMean", vectors, length, { kind: "trimmed", n, trim });
}
