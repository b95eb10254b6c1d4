import type { SubsetUtility } from "@tributary/aggregation";

/** Exact Shapley values of a round, with the utility of every coalition and what computing them cost. */
export interface ExactShapley {
  /** φ_i, one per update, in utility units; Σφ = v(N) − v(∅) up to rounding. */
  readonly scores: Float64Array;
  /** v(S) for every coalition S, indexed by the bitmask of S (bit i set ⇔ update i ∈ S). */
  readonly values: Float64Array;
  /** 2^n: each coalition is evaluated exactly once. */
  readonly evaluations: number;
  readonly elapsedMs: number;
}

/** Largest round the brute force accepts: 2^12 = 4,096 model evaluations. */
export const MAX_EXACT_PLAYERS = 12;

/**
 * The baseline GTG-Shapley approximates, by brute force: evaluates the utility of all 2^n coalitions once each
 * (one after another, in bitmask order), then applies the definition
 * φ_i = Σ_{S ⊆ N∖{i}} |S|!·(n − |S| − 1)!/n! · (v(S ∪ {i}) − v(S)).
 */
export async function exactShapley(n: number, utility: SubsetUtility): Promise<ExactShapley> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_EXACT_PLAYERS) {
    throw new RangeError(`exactShapley: n must be an integer in [1, ${MAX_EXACT_PLAYERS}], got ${n}`);
  }
  const started = performance.now();
  const size = 1 << n;
  const values = new Float64Array(size);
  for (let mask = 0; mask < size; mask++) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if ((mask & (1 << i)) !== 0) members.push(i);
    values[mask] = await utility(members);
  }
  // weight[s] = s!(n − 1 − s)!/n! = 1 / (n · C(n − 1, s)).
  const weight = new Float64Array(n);
  let binomial = 1;
  for (let s = 0; s < n; s++) {
    weight[s] = 1 / (n * binomial);
    binomial = (binomial * (n - 1 - s)) / (s + 1);
  }
  const scores = new Float64Array(n);
  for (let mask = 0; mask < size; mask++) {
    const s = popcount(mask);
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if ((mask & bit) !== 0) continue;
      const gain = (values[mask | bit] as number) - (values[mask] as number);
      scores[i] = (scores[i] as number) + (weight[s] as number) * gain;
    }
  }
  return { scores, values, evaluations: size, elapsedMs: performance.now() - started };
}

function popcount(mask: number): number {
  let count = 0;
  for (let rest = mask; rest !== 0; rest &= rest - 1) count++;
  return count;
}

/** Σ_i |a_i − b_i|: 0 for identical share vectors, 2 for shares on disjoint updates. */
export function l1Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`l1Distance: lengths ${a.length} and ${b.length} differ`);
  let distance = 0;
  for (let i = 0; i < a.length; i++) distance += Math.abs((a[i] as number) - (b[i] as number));
  return distance;
}

/** Ranks 1 … n of the values, ascending; tied values share the mean of their ranks. */
function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (x, y) => (values[x] as number) - (values[y] as number),
  );
  const result = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) result[order[k] as number] = rank;
    start = end;
  }
  return result;
}

/**
 * Spearman's rank correlation: Pearson's correlation of the (tie-averaged) ranks. 1 when both order the updates
 * alike, −1 when reversed; NaN when either side is constant (no order to compare).
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman: lengths ${a.length} and ${b.length} differ`);
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let i = 0; i < ra.length; i++) {
    const da = (ra[i] as number) - mean;
    const db = (rb[i] as number) - mean;
    covariance += da * db;
    varianceA += da * da;
    varianceB += db * db;
  }
  return covariance / Math.sqrt(varianceA * varianceB);
}
