import { solveRidge } from "./solve-ridge.js";

/** Sample groups of the delete-a-group jackknife. */
export const GROUPS = 10;
/** Relative ridge of the per-size fits: only matters for a size holding fewer than n distinct coalitions. */
const RIDGE = 1e-9;

/** C(n, k), exact while it fits a double's integers. */
export function binomial(n: number, k: number): number {
  let result = 1;
  for (let j = 1; j <= k; j++) result = (result * (n - k + j)) / j;
  return Math.round(result);
}

/**
 * The sampled coalitions of one size s (2 ≤ s ≤ n − 2): the normal equations of the fit v(T) ≈ Σ_{j∈T} β_j,
 * over all of them and per jackknife group (Σ z zᵀ, Σ z·v(T), count; z the membership vector).
 */
export interface SizeStratum {
  readonly size: number;
  /** C(n, s): coalitions of this size. */
  readonly population: number;
  count: number;
  readonly gram: Float64Array;
  readonly moments: Float64Array;
  readonly groupGram: Float64Array[];
  readonly groupMoments: Float64Array[];
  readonly groupCount: Float64Array;
  /**
   * β⁰, what the fit leans to where its samples do not determine β (fewer than n of them, or a rank-deficient
   * draw): interpolated from the exact sizes 1 and n − 1, so an additive game is exact from any sample.
   */
  prior: Float64Array;
  /** Its term of φ, (β_i − β̄)/(n − 1), from every sample (set by each estimate). */
  term: Float64Array;
}

/** An empty size stratum of n updates; `prior` is its β⁰. */
export function createSizeStratum(n: number, size: number, prior: Float64Array): SizeStratum {
  return {
    size,
    population: binomial(n, size),
    count: 0,
    gram: new Float64Array(n * n),
    moments: new Float64Array(n),
    groupGram: Array.from({ length: GROUPS }, () => new Float64Array(n * n)),
    groupMoments: Array.from({ length: GROUPS }, () => new Float64Array(n)),
    groupCount: new Float64Array(GROUPS),
    prior,
    term: new Float64Array(n),
  };
}

/** Adds coalition `members` (of the stratum's size) with utility `y` to the stratum and to its jackknife `group`. */
export function addSample(stratum: SizeStratum, n: number, members: readonly number[], y: number, group: number): void {
  addTo(stratum.gram, stratum.moments, n, members, y);
  addTo(stratum.groupGram[group] as Float64Array, stratum.groupMoments[group] as Float64Array, n, members, y);
  stratum.count++;
  stratum.groupCount[group] = (stratum.groupCount[group] as number) + 1;
}

function addTo(gram: Float64Array, moments: Float64Array, n: number, members: readonly number[], y: number): void {
  for (const i of members) {
    moments[i] = (moments[i] as number) + y;
    for (const j of members) gram[i * n + j] = (gram[i * n + j] as number) + 1;
  }
}

/**
 * A size's term of φ, (β_i − β̄)/(n − 1), from its normal equations (with group `skip`'s subtracted when ≥ 0):
 * (n/(n − 1))(β_i − β̄) estimates D_i, the mean value of the size's coalitions with i minus that of those without.
 * The fit is β⁰ plus the ridge solution for what the samples add to it (the ridge is tiny: it only decides the
 * directions the samples leave open, which keep β⁰). A size evaluated completely is solved without the ridge, so
 * its term is exact. Null when the equations are not solvable.
 */
export function sizeTerm(stratum: SizeStratum, n: number, skip: number): Float64Array | null {
  const count = stratum.count - (skip >= 0 ? (stratum.groupCount[skip] as number) : 0);
  const { prior } = stratum;
  let gram = stratum.gram;
  let moments = stratum.moments;
  if (skip >= 0) {
    const groupGram = stratum.groupGram[skip] as Float64Array;
    const groupMoments = stratum.groupMoments[skip] as Float64Array;
    gram = gram.map((value, i) => value - (groupGram[i] as number));
    moments = moments.map((value, i) => value - (groupMoments[i] as number));
  }
  let beta = Float64Array.from(prior);
  if (count > 0) {
    // β⁰ shifted by the samples' mean residual (a size's level, shared equally: it leaves D unchanged).
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += (moments[i] as number) / stratum.size - (prior[i] as number) * (gram[i * n + i] as number);
    }
    const level = sum / count / stratum.size;
    beta = beta.map((value) => value + level);
    const residual = moments.map((value, i) => {
      let fitted = 0;
      for (let j = 0; j < n; j++) fitted += (gram[i * n + j] as number) * (beta[j] as number);
      return value - fitted;
    });
    const step = solveRidge(gram, residual, count === stratum.population ? 0 : RIDGE);
    if (step === null) return null;
    beta = beta.map((value, i) => value + (step[i] as number));
  }
  let mean = 0;
  for (const value of beta) mean += value;
  mean /= n;
  return beta.map((value) => (value - mean) / (n - 1));
}
