/**
 * Numerics in log space and the Gaussian tail functions the accountants need. Everything here is accurate to a
 * few units in the last place over the whole range, including far tails where the plain formulas under- or
 * overflow (`erfc(40)` is 1e-697; its logarithm is still exact here).
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
const LN2 = Math.LN2;

/** log(exp(a) + exp(b)), exact for -Infinity operands. */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === Number.NEGATIVE_INFINITY) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. */
export function logSub(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a < b) throw new RangeError(`logSub: result would be negative (${a} < ${b})`);
  if (a === b) return Number.NEGATIVE_INFINITY;
  const d = b - a;
  // log(1 - e^d): for d close to 0 use log(-expm1(d)), otherwise log1p(-e^d).
  return a + (d > -LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d)));
}

/** erf(x) for |x| < 2 by the everywhere-positive series e^{-x²} Σ 2ⁿx^{2n+1}/(2n+1)!! (no cancellation). */
function erfSeries(x: number): number {
  if (x < 0) return -erfSeries(-x);
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * The continued fraction erfc(x) = e^{-x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))) evaluated by the modified
 * Lentz method, returned without the e^{-x²} factor so that callers can stay in log space. For x >= 1.5.
 */
function erfcScaledContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const a = n / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (SQRT_PI * f);
}

/** Complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= 1.5) return Math.exp(-x * x) * erfcScaledContinuedFraction(x);
  if (x <= -1.5) return 2 - Math.exp(-x * x) * erfcScaledContinuedFraction(-x);
  return 1 - erfSeries(x);
}

/** log(erfc(x)), finite for every finite x (about -x² for large x). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x >= 1.5) return -x * x + Math.log(erfcScaledContinuedFraction(x));
  return Math.log(erfc(x));
}

/** log Φ(x), the log of the standard normal CDF, accurate in both tails. */
export function logNormalCdf(x: number): number {
  // Φ(x) = erfc(-x/√2)/2. For x > 0 write it as 1 - Q with Q = erfc(x/√2)/2 small.
  if (x > 0) return Math.log1p(-0.5 * erfc(x * SQRT1_2));
  return logErfc(-x * SQRT1_2) - LN2;
}

/** log(1 - Φ(x)), the log of the standard normal survival function. */
export function logNormalSf(x: number): number {
  return logNormalCdf(-x);
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}
