import { InvalidPrivacyParameterError } from "./errors.js";
import type { SecureRandom } from "./secure-random.js";

/** One quantile to release from data on a grid of `gridSize` points (indices 0 … gridSize − 1). */
export interface GridQuantileRequest {
  /** The records' grid indices, sorted ascending, each an integer in [0, gridSize). */
  readonly sorted: ArrayLike<number>;
  /** Points of the output grid (data-independent): at least 2, at most 2^40. */
  readonly gridSize: number;
  /** The quantile q in (0, 1). */
  readonly quantile: number;
  /** ε of this release. */
  readonly epsilon: number;
}

/** A run of grid points [start, start + length) sharing one utility. */
interface Segment {
  readonly start: number;
  readonly length: number;
  readonly utility: number;
}

/**
 * u(j) = −max(0, #{x < j} − qn, qn − #{x ≤ j}): 0 exactly at the points that are a q-quantile of the data, minus the
 * ranks a point is off otherwise. Under adding or removing one record each count moves by at most 1 and qn by q,
 * so u moves by at most 1: sensitivity 1.
 */
function utility(below: number, atOrBelow: number, target: number): number {
  return -Math.max(0, below - target, target - atOrBelow);
}

/** The grid cut into runs of equal utility: the gaps between distinct data points and the points themselves. */
function segments(sorted: ArrayLike<number>, gridSize: number, target: number): Segment[] {
  const out: Segment[] = [];
  const push = (start: number, end: number, below: number, atOrBelow: number) => {
    if (end > start) out.push({ start, length: end - start, utility: utility(below, atOrBelow, target) });
  };
  let next = 0;
  let index = 0;
  while (index < sorted.length) {
    const value = sorted[index] as number;
    let end = index;
    while (end < sorted.length && sorted[end] === value) end++;
    push(next, value, index, index);
    push(value, value + 1, index, end);
    next = value + 1;
    index = end;
  }
  push(next, gridSize, sorted.length, sorted.length);
  return out;
}

/**
 * The exponential mechanism for one quantile (McSherry & Talwar 2007; for quantiles Smith 2011): a point j of a
 * data-independent grid is released with probability ∝ exp(ε·u(j)/2), with u of sensitivity 1 above, which is ε-DP
 * under adding or removing one record. The grid is cut into runs of equal utility (at most 2n + 1), a run is chosen
 * with probability ∝ length·exp(ε·u/2), and a point of it uniformly. With probability at least 1 − e^{−τ} the
 * released point is within (2/ε)(ln gridSize + τ) ranks of a true q-quantile (the mechanism's utility theorem,
 * the optimum being 0).
 *
 * Precision: the run's weights are float64 (relative to the largest, so none overflows; a run below e^{−700} of
 * the largest is never chosen) and the run is chosen with a 53-bit uniform from the OS CSPRNG, which moves each
 * probability by a relative O(n·2^−52): ε-DP up to an additive ~1e−12. The point within the run is drawn exactly
 * (`nextUintBelow`). The output is a grid index, never a value read from a record.
 */
export function exponentialQuantile(request: GridQuantileRequest, random: SecureRandom): number {
  const { sorted, gridSize, quantile, epsilon } = request;
  if (!(Number.isInteger(gridSize) && gridSize >= 2 && gridSize <= 2 ** 40)) {
    throw new InvalidPrivacyParameterError("gridSize", gridSize, "must be an integer in [2, 2^40]");
  }
  if (!(quantile > 0 && quantile < 1))
    throw new InvalidPrivacyParameterError("quantile", quantile, "must be in (0, 1)");
  if (!(epsilon > 0 && Number.isFinite(epsilon))) {
    throw new InvalidPrivacyParameterError("epsilon", epsilon, "must be a positive finite number");
  }
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i] as number;
    if (!(Number.isInteger(value) && value >= 0 && value < gridSize) || (i > 0 && value < (sorted[i - 1] as number))) {
      throw new RangeError(`sorted[${i}] must be a grid index, at least the one before it`);
    }
  }
  const runs = segments(sorted, gridSize, quantile * sorted.length);
  const logWeights = runs.map((run) => Math.log(run.length) + (epsilon / 2) * run.utility);
  let top = Number.NEGATIVE_INFINITY;
  for (const logWeight of logWeights) top = Math.max(top, logWeight);
  const cumulative = new Float64Array(runs.length);
  let total = 0;
  logWeights.forEach((logWeight, index) => {
    total += Math.exp(logWeight - top);
    cumulative[index] = total;
  });
  const u = random.nextFloat53() * total;
  let chosen = runs.length - 1;
  for (let index = 0; index < runs.length; index++) {
    if (u < (cumulative[index] as number)) {
      chosen = index;
      break;
    }
  }
  const run = runs[chosen] as Segment;
  return run.start + random.nextUintBelow(run.length);
}
