import { logAdd, logErfc, logSub } from "./log-math.js";

/**
 * How the fractional-order series is summed. `signed` (default) keeps the signs of the binomial coefficients and
 * is the exact value of A_α (Opacus, TensorFlow Privacy; checked against numerical integration in the tests).
 * `absolute` sums |C(α, i)|-weighted terms and stops when they are decreasing and 30 nats below the total, as
 * Google's current `dp_accounting` does: an upper bound on A_α, larger at small fractional orders
 * (3% at α = 1.5, q = 0.01, σ = 2.5). It exists to reproduce that library's published values.
 */
export type FractionalOrderSeries = "signed" | "absolute";

/**
 * Rényi-DP of one step of the Poisson-subsampled Gaussian mechanism (sampling rate q, noise multiplier σ =
 * noise standard deviation / L2 sensitivity) at order α, under add-or-remove-one adjacency:
 *
 *   RDP(α) = log(A_α) / (α − 1),   A_α = E_{z∼N(0,σ²)} [(1 − q + q·e^{(2z−1)/(2σ²)})^α]
 *
 * following Mironov, Talwar & Zhang 2019 (arXiv:1908.10530, Sec. 3.3): a finite binomial sum for integer α and
 * a two-sided convergent series for fractional α. The fractional series keeps the signs of the binomial
 * coefficients (as Opacus and TensorFlow Privacy do), so it is the exact value of A_α (see
 * `FractionalOrderSeries` for the variant `dp_accounting` uses).
 */
export function subsampledGaussianRdp(
  sampleRate: number,
  noiseMultiplier: number,
  order: number,
  series: FractionalOrderSeries = "signed",
): number {
  const q = sampleRate;
  const sigma = noiseMultiplier;
  if (q === 0) return 0;
  if (sigma === 0 || order === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (q === 1) return order / (2 * sigma * sigma);
  const logA = Number.isInteger(order)
    ? logAInteger(q, sigma, order)
    : series === "signed"
      ? logAFractional(q, sigma, order)
      : logAFractionalAbsolute(q, sigma, order);
  return logA / (order - 1);
}

/** RDP of one step at each order. */
export function subsampledGaussianRdpVector(
  sampleRate: number,
  noiseMultiplier: number,
  orders: readonly number[],
  series: FractionalOrderSeries = "signed",
): Float64Array {
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    out[k] = subsampledGaussianRdp(sampleRate, noiseMultiplier, orders[k] as number, series);
  }
  return out;
}

/** log A_α for integer α: Σ_{i=0}^{α} C(α,i) q^i (1−q)^{α−i} e^{(i²−i)/(2σ²)}. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  let logBinom = 0;
  let logA = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoSigma2;
    logA = logAdd(logA, term);
  }
  return logA;
}

const MAX_FRACTIONAL_TERMS = 100_000;
/** Terms below e^-30 are dropped, as in Opacus and TensorFlow Privacy (the tail alternates: error < e^-30 in A). */
const LOG_TERM_CUTOFF = -30;

/**
 * log A_α for fractional α: the integral split at z0 where q·e^{(2z−1)/(2σ²)} = 1 − q, each half expanded as a
 * binomial series (MTZ19 Sec. 3.3). Terms are added with the sign of C(α, i). An order whose series does not
 * settle (or whose partial sums lose all precision) is reported as +∞, which only excludes it from the minimum.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sigma2 = sigma * sigma;
  const z0 = sigma2 * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * sigma;
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  let logAbsBinom = 0;
  let binomSign = 1;
  try {
    for (let i = 0; i < MAX_FRACTIONAL_TERMS; i++) {
      if (i > 0) {
        const factor = (alpha - i + 1) / i;
        logAbsBinom += Math.log(Math.abs(factor));
        if (factor < 0) binomSign = -binomSign;
      }
      const j = alpha - i;
      const logT0 = logAbsBinom + i * logQ + j * log1mQ;
      const logT1 = logAbsBinom + j * logQ + i * log1mQ;
      const logE0 = Math.log(0.5) + logErfc((i - z0) / scale);
      const logE1 = Math.log(0.5) + logErfc((z0 - j) / scale);
      const logS0 = logT0 + (i * i - i) / (2 * sigma2) + logE0;
      const logS1 = logT1 + (j * j - j) / (2 * sigma2) + logE1;
      if (binomSign > 0) {
        logA0 = logAdd(logA0, logS0);
        logA1 = logAdd(logA1, logS1);
      } else {
        logA0 = logSub(logA0, logS0);
        logA1 = logSub(logA1, logS1);
      }
      if (Math.max(logS0, logS1) < LOG_TERM_CUTOFF) return logAdd(logA0, logA1);
    }
  } catch {
    // A partial sum went negative in floating point: this order cannot be evaluated reliably.
  }
  return Number.POSITIVE_INFINITY;
}

/** The `absolute` variant: |C(α, i)|-weighted terms, `dp_accounting`'s stopping rule and 1000-term limit. */
function logAFractionalAbsolute(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sigma2 = sigma * sigma;
  const z0 = sigma2 * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * sigma;
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  let logAbsBinom = 0;
  let lastS0 = Number.NEGATIVE_INFINITY;
  let lastS1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 1000; i++) {
    if (i > 0) logAbsBinom += Math.log(Math.abs((alpha - i + 1) / i));
    const j = alpha - i;
    const logS0 =
      logAbsBinom + i * logQ + j * log1mQ + (i * i - i) / (2 * sigma2) + Math.log(0.5) + logErfc((i - z0) / scale);
    const logS1 =
      logAbsBinom + j * logQ + i * log1mQ + (j * j - j) / (2 * sigma2) + Math.log(0.5) + logErfc((z0 - j) / scale);
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  return Number.POSITIVE_INFINITY;
}
