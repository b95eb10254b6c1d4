/**
 * Conversions from a Rényi-DP curve (ε_R(α) at a set of orders α > 1) to (ε, δ)-DP.
 *
 * - `improved` (the default of Opacus and Google's `dp_accounting`): Balle et al. 2020, "Hypothesis testing
 *   interpretations and Rényi DP", Thm 21 (also Canonne, Kamath & Steinke 2020, Prop. 12):
 *   ε = ε_R(α) + log1p(−1/α) − log(δ·α)/(α − 1), plus the KL bound δ ≤ √(1 − e^{−ε_R}) that gives ε = 0 when
 *   it already holds. Orders ≤ 1.01 are skipped as `dp_accounting` does (numerically unstable, never optimal).
 * - `classic`: Mironov 2017, Prop. 3: ε = ε_R(α) − log(δ)/(α − 1).
 */
export type RdpConversion = "improved" | "classic";

export interface RdpEpsilon {
  readonly epsilon: number;
  /** The order at which the minimum is attained. */
  readonly order: number;
}

export interface RdpDelta {
  readonly delta: number;
  readonly order: number;
}

/** Smallest ε over the orders for which the RDP curve implies (ε, δ)-DP. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
  conversion: RdpConversion = "improved",
): RdpEpsilon {
  if (orders.length !== rdp.length) throw new RangeError("orders and rdp differ in length");
  if (orders.length === 0) throw new RangeError("no RDP orders");
  if (!(delta >= 0)) throw new RangeError(`delta must be >= 0, got ${delta}`);
  if (delta === 0) {
    let allZero = true;
    for (let k = 0; k < rdp.length; k++) if (rdp[k] !== 0) allZero = false;
    return { epsilon: allZero ? 0 : Number.POSITIVE_INFINITY, order: orders[0] as number };
  }
  const logDelta = Math.log(delta);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] as number;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k] as number;
    const r = rdp[k] as number;
    if (!(a > 1)) throw new RangeError(`RDP orders must be > 1, got ${a}`);
    let eps: number;
    if (Number.isNaN(r)) continue;
    if (conversion === "classic") {
      eps = r - logDelta / (a - 1);
    } else if (delta * delta + Math.expm1(-r) > 0) {
      eps = 0;
    } else if (a > 1.01) {
      eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
    } else {
      eps = Number.POSITIVE_INFINITY;
    }
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** Smallest δ over the orders for which the RDP curve implies (ε, δ)-DP. */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  epsilon: number,
  conversion: RdpConversion = "improved",
): RdpDelta {
  if (orders.length !== rdp.length) throw new RangeError("orders and rdp differ in length");
  if (orders.length === 0) throw new RangeError("no RDP orders");
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be >= 0, got ${epsilon}`);
  let bestLog = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] as number;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k] as number;
    const r = rdp[k] as number;
    if (!(a > 1)) throw new RangeError(`RDP orders must be > 1, got ${a}`);
    if (Number.isNaN(r)) continue;
    let logDelta: number;
    if (conversion === "classic") {
      logDelta = (a - 1) * (r - epsilon);
    } else {
      // KL bound δ <= sqrt(1 - e^{-KL}) with KL <= ε_R(α); then the hypothesis-testing bound.
      logDelta = r === 0 ? Number.NEGATIVE_INFINITY : 0.5 * Math.log1p(-Math.exp(-r));
      if (a > 1.01) logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    }
    if (logDelta < bestLog) {
      bestLog = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(Math.exp(bestLog), 1), order: bestOrder };
}
