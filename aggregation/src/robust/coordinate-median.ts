import { requireVectors } from "../check-vectors.js";
import { orderStatistic } from "./order-statistics.js";

/**
 * Coordinate-wise median (Yin et al. 2018): per coordinate, the middle value of the n inputs; for even n the
 * mean of the two middle values. Breaks down only when half the inputs are adversarial. Throws
 * `InvalidUpdateError` for mismatched lengths or a NaN/±Infinity, `AggregationInputError` for no inputs.
 */
export function coordinateMedian(vectors: ReadonlyArray<Float32Array>): Float32Array {
  const length = requireVectors("coordinateMedian", vectors);
  return orderStatistic("coordinateMedian", vectors, length, { kind: "median", n: vectors.length });
}
