import { erfc } from "./log-math.js";

/**
 * The privacy loss distribution (PLD, equivalently the distribution of the privacy loss random variable, PRV) of
 * one step of the Poisson-subsampled Gaussian mechanism, discretised on the grid l_i = i·h so that it
 * *dominates* the true one: its hockey-stick curve δ(ε) is >= the true curve for every ε, and composing
 * dominating PLDs gives a dominating PLD (Zhu, Dong & Wang 2022). Hence every ε computed from it is an upper
 * bound.
 *
 * The discretisation is "connect the dots" (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi 2022): the mass of
 * each interval (l_i, l_{i+1}] is split between its two end points so that both its P-mass and its Q-mass are
 * kept. The discrete curve then equals the true δ(ε) at every grid point and interpolates it linearly in e^ε in
 * between (a chord of a convex function), so the error does not grow by h per composition as rounding up does.
 *
 * Directions (add-or-remove-one adjacency; the guarantee is the worse of the two):
 * - `remove`: P = (1−q)·N(0,σ²) + q·N(1,σ²), Q = N(0,σ²); loss L(x) = log(1 − q + q·e^{(2x−1)/(2σ²)}) ↑ in x.
 * - `add`:    P = N(0,σ²), Q = (1−q)·N(0,σ²) + q·N(1,σ²); loss −log(1 − q + q·e^{(2x−1)/(2σ²)}) ↓ in x.
 */
export type PldDirection = "remove" | "add";

export interface DiscretePld {
  /** Grid index of `pmf[0]`: the loss of `pmf[i]` is `(minIndex + i)·h`. */
  readonly minIndex: number;
  /** Probability (under P) of each grid loss. */
  readonly pmf: Float64Array;
  /** Probability (under P) of an infinite loss: the tail cut off above the grid. */
  readonly infinityMass: number;
}

/** P(L > l), P(L <= l), Q(L > l), Q(L <= l): each computed on its accurate side. */
interface Tails {
  sp: number;
  fp: number;
  sq: number;
  fq: number;
}

/** Standard normal survival function and CDF, each accurate in its own small tail. */
function normalSfCdf(z: number, out: { sf: number; cdf: number }): void {
  if (z > 0) {
    out.sf = 0.5 * erfc(z * Math.SQRT1_2);
    out.cdf = 1 - out.sf;
  } else {
    out.cdf = 0.5 * erfc(-z * Math.SQRT1_2);
    out.sf = 1 - out.cdf;
  }
}

/** log(e^d − 1) for d > 0 without overflow. */
function logExpm1(d: number): number {
  return d > 30 ? d + Math.log1p(-Math.exp(-d)) : Math.log(Math.expm1(d));
}

/** log(1 − q + q·e^a), the remove-direction loss at a = (2x − 1)/(2σ²). */
function mixtureLogRatio(q: number, a: number): number {
  return a > 0 ? a + Math.log(q + (1 - q) * Math.exp(-a)) : Math.log1p(q * Math.expm1(a));
}

/** z with P(N(0,1) > z) <= tail, from the bound P(N > z) <= e^{−z²/2}/2. */
function normalTailPoint(tail: number): number {
  return Math.sqrt(2 * Math.log(1 / (2 * tail)));
}

/** The single-step loss range kept on the grid for tail mass `tail` beyond each end. */
export function subsampledGaussianLossRange(
  q: number,
  sigma: number,
  direction: PldDirection,
  tail: number,
): { lo: number; hi: number } {
  const z = normalTailPoint(tail);
  const a = (x: number) => (2 * x - 1) / (2 * sigma * sigma);
  if (direction === "remove" || q === 1) {
    const hi = mixtureLogRatio(q, a(1 + sigma * z));
    const lo = q < 1 ? Math.log1p(-q) : a(1 - sigma * z);
    return { lo, hi };
  }
  return { lo: -mixtureLogRatio(q, a(sigma * z)), hi: -Math.log1p(-q) };
}

const n1 = { sf: 0, cdf: 0 };
const n2 = { sf: 0, cdf: 0 };

function tailsAt(q: number, sigma: number, direction: PldDirection, loss: number, out: Tails): void {
  const s2 = sigma * sigma;
  if (direction === "remove" || q === 1) {
    const lMin = q < 1 ? Math.log1p(-q) : Number.NEGATIVE_INFINITY;
    if (loss <= lMin) {
      out.sp = 1;
      out.fp = 0;
      out.sq = 1;
      out.fq = 0;
      return;
    }
    // L > loss  <=>  x > x(loss).
    const x = q < 1 ? s2 * (lMin + logExpm1(loss - lMin) - Math.log(q)) + 0.5 : s2 * loss + 0.5;
    normalSfCdf(x / sigma, n1);
    normalSfCdf((x - 1) / sigma, n2);
    out.sp = (1 - q) * n1.sf + q * n2.sf;
    out.fp = (1 - q) * n1.cdf + q * n2.cdf;
    out.sq = n1.sf;
    out.fq = n1.cdf;
    return;
  }
  const lMax = -Math.log1p(-q);
  if (loss >= lMax) {
    out.sp = 0;
    out.fp = 1;
    out.sq = 0;
    out.fq = 1;
    return;
  }
  // L > loss  <=>  x < x(loss).
  const x = s2 * (-lMax + logExpm1(lMax - loss) - Math.log(q)) + 0.5;
  normalSfCdf(x / sigma, n1);
  normalSfCdf((x - 1) / sigma, n2);
  out.sp = n1.cdf;
  out.fp = n1.sf;
  out.sq = (1 - q) * n1.cdf + q * n2.cdf;
  out.fq = (1 - q) * n1.sf + q * n2.sf;
}

/**
 * Far in the tails an interval may span several grid cells: its mass still goes to its two end points with P- and
 * Q-mass kept (a chord over a wider interval is still above the convex curve), so domination is unaffected; only
 * the tightness changes, by about mass·width², which this bound keeps negligible next to the bulk's h².
 */
const COARSE_INTERVAL_BUDGET = 1e-7;
const MAX_CELLS_PER_INTERVAL = 1 << 16;

/**
 * The connect-the-dots discretisation of one step on the grid l_i = i·h, keeping the losses in
 * `subsampledGaussianLossRange(q, σ, direction, tail)`. Mass below the grid is moved up to its first point and
 * mass above it is split between the last point and +∞ (keeping P- and Q-mass), both of which only enlarge δ(ε).
 */
export function subsampledGaussianPld(
  q: number,
  sigma: number,
  direction: PldDirection,
  h: number,
  tail: number,
): DiscretePld {
  const range = subsampledGaussianLossRange(q, sigma, direction, tail);
  const minIndex = Math.floor(range.lo / h);
  const maxIndex = Math.max(minIndex + 1, Math.ceil(range.hi / h));
  const points = maxIndex - minIndex + 1;
  if (points > 2 ** 25) throw new RangeError(`PLD grid too fine: ${points} points for one step`);
  const pmf = new Float64Array(points);
  let lower: Tails = { sp: 0, fp: 0, sq: 0, fq: 0 };
  let upper: Tails = { sp: 0, fp: 0, sq: 0, fq: 0 };
  tailsAt(q, sigma, direction, minIndex * h, lower);
  pmf[0] = lower.fp;
  let k = 0;
  let cells = 1;
  while (k + 1 < points) {
    cells = Math.min(cells * 2, MAX_CELLS_PER_INTERVAL, points - 1 - k);
    let pMass: number;
    for (;;) {
      tailsAt(q, sigma, direction, (minIndex + k + cells) * h, upper);
      pMass = Math.max(0, lower.sp < 0.5 ? lower.sp - upper.sp : upper.fp - lower.fp);
      if (cells === 1 || pMass * cells * cells <= COARSE_INTERVAL_BUDGET) break;
      cells >>>= 1;
    }
    const qMass = Math.max(0, lower.sq < 0.5 ? lower.sq - upper.sq : upper.fq - lower.fq);
    // Split so that a + b = pMass and a·e^{−l_k} + b·e^{−l_{k+cells}} = qMass.
    const loss = (minIndex + k) * h;
    const scaledQ = qMass > 0 ? Math.exp(loss + Math.log(qMass)) : 0;
    const toUpper = Math.min(pMass, Math.max(0, (pMass - scaledQ) / -Math.expm1(-cells * h)));
    pmf[k] = (pmf[k] as number) + (pMass - toUpper);
    pmf[k + cells] = (pmf[k + cells] as number) + toUpper;
    k += cells;
    const swap = lower;
    lower = upper;
    upper = swap;
  }
  // `lower` now holds the tails at the last grid point.
  const lastLoss = maxIndex * h;
  const keptAtTop = lower.sq > 0 ? Math.min(lower.sp, Math.exp(lastLoss + Math.log(lower.sq))) : 0;
  pmf[points - 1] = (pmf[points - 1] as number) + keptAtTop;
  return { minIndex, pmf, infinityMass: Math.max(0, lower.sp - keptAtTop) };
}
