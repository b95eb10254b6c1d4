import { requireVectors } from "../check-vectors.js";
import { AggregationInputError } from "../errors.js";
import { fedAvg } from "../fed-avg/fed-avg.js";
import { pairwiseSquaredDistances } from "./pairwise-distances.js";

/** A robust rule's choice: the indices of the inputs it kept (best first) and what it returns. */
export interface RobustSelection {
  readonly selected: number[];
  readonly aggregate: Float32Array;
}

/**
 * Krum scores (Blanchard et al. 2017) of `candidates`: for each, the sum of its squared distances to its
 * `neighbours` nearest other candidates (summed nearest first, so the score does not depend on input order).
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  candidates: readonly number[],
  neighbours: number,
): Float64Array {
  const scores = new Float64Array(candidates.length);
  const row = new Float64Array(Math.max(0, candidates.length - 1));
  candidates.forEach((i, position) => {
    let m = 0;
    for (const j of candidates) if (j !== i) row[m++] = distances[i * n + j] as number;
    row.sort();
    let score = 0;
    for (let k = 0; k < neighbours; k++) score += row[k] as number;
    scores[position] = score;
  });
  return scores;
}

/** −1, 0 or 1 as `a` is lexicographically before, equal to or after `b` (compared value by value). */
function compareValues(a: Float32Array, b: Float32Array): number {
  for (let c = 0; c < a.length; c++) {
    const x = a[c] as number;
    const y = b[c] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Candidates ordered by score. Equal scores are common, not accidental (with one neighbour, two mutually nearest
 * vectors score the same), so ties are broken by the vectors' values (lexicographically), which keeps the choice
 * independent of input order; identical vectors fall back to the lower index.
 */
export function rankByScore(
  candidates: readonly number[],
  scores: Float64Array,
  vectors: ReadonlyArray<Float32Array>,
): number[] {
  return candidates
    .map((index, position) => ({ index, score: scores[position] as number }))
    .sort(
      (a, b) =>
        a.score - b.score ||
        compareValues(vectors[a.index] as Float32Array, vectors[b.index] as Float32Array) ||
        a.index - b.index,
    )
    .map((entry) => entry.index);
}

function requireKrumSize(rule: string, n: number, f: number): void {
  if (!Number.isInteger(f) || f < 0 || n < 2 * f + 3) {
    throw new AggregationInputError(`${rule}: needs f ≥ 0 and n ≥ 2f + 3 vectors, got n = ${n}, f = ${f}`, {
      rule,
      n,
      f,
    });
  }
}

/**
 * Multi-Krum (Blanchard et al. 2017): score every vector by the sum of squared distances to its n − f − 2
 * nearest neighbours, keep the m best and return their plain mean. Needs n ≥ 2f + 3 and 1 ≤ m ≤ n.
 */
export function multiKrum(vectors: ReadonlyArray<Float32Array>, f: number, m: number): RobustSelection {
  return krumSelection("multiKrum", vectors, f, m);
}

/** Krum (Blanchard et al. 2017): the single vector with the best score (a copy of it). Needs n ≥ 2f + 3. */
export function krum(vectors: ReadonlyArray<Float32Array>, f: number): RobustSelection {
  return krumSelection("krum", vectors, f, 1);
}

function krumSelection(rule: string, vectors: ReadonlyArray<Float32Array>, f: number, m: number): RobustSelection {
  const length = requireVectors(rule, vectors);
  const n = vectors.length;
  requireKrumSize(rule, n, f);
  if (!Number.isInteger(m) || m < 1 || m > n) {
    throw new AggregationInputError(`${rule}: m must be an integer in [1, ${n}], got ${m}`, { rule, n, m });
  }
  const distances = pairwiseSquaredDistances(rule, vectors, length);
  const all = Array.from({ length: n }, (_, index) => index);
  const ranked = rankByScore(all, krumScores(distances, n, all, n - f - 2), vectors);
  const selected = ranked.slice(0, m);
  const aggregate =
    m === 1
      ? (vectors[selected[0] as number] as Float32Array).slice()
      : fedAvg(selected.map((index) => ({ weights: vectors[index] as Float32Array, numExamples: 1 })));
  return { selected, aggregate };
}
