import { requireVectors } from "../check-vectors.js";
import { AggregationInputError } from "../errors.js";
import { krumScores, type RobustSelection, rankByScore } from "./krum.js";
import { orderStatistic } from "./order-statistics.js";
import { pairwiseSquaredDistances } from "./pairwise-distances.js";

/**
 * Bulyan (El Mhamdi et al. 2018), with Krum as the selection rule. Needs n ≥ 4f + 3.
 * 1. Selection: θ = n − 2f times, run Krum on the vectors not yet selected and move its choice to the selection
 *    set (the distances are computed once; each round rescores the remaining vectors with their
 *    |remaining| − f − 2 nearest neighbours, at least one).
 * 2. Aggregation: per coordinate, the mean of the β = θ − 2f selected values closest to their median.
 * `selected` lists the chosen vectors in the order Krum picked them.
 */
export function bulyan(vectors: ReadonlyArray<Float32Array>, f: number): RobustSelection {
  const length = requireVectors("bulyan", vectors);
  const n = vectors.length;
  if (!Number.isInteger(f) || f < 0 || n < 4 * f + 3) {
    throw new AggregationInputError(`bulyan: needs f ≥ 0 and n ≥ 4f + 3 vectors, got n = ${n}, f = ${f}`, {
      rule: "bulyan",
      n,
      f,
    });
  }
  const distances = pairwiseSquaredDistances("bulyan", vectors, length);
  const theta = n - 2 * f;
  const remaining = Array.from({ length: n }, (_, index) => index);
  const selected: number[] = [];
  while (selected.length < theta) {
    const neighbours = Math.min(remaining.length - 1, Math.max(1, remaining.length - f - 2));
    const best = rankByScore(remaining, krumScores(distances, n, remaining, neighbours), vectors)[0] as number;
    selected.push(best);
    remaining.splice(remaining.indexOf(best), 1);
  }
  const aggregate = orderStatistic(
    "bulyan",
    selected.map((index) => vectors[index] as Float32Array),
    length,
    { kind: "bulyan", n: theta, f },
  );
  return { selected, aggregate };
}
