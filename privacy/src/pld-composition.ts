import { Fft } from "./fft.js";
import type { DiscretePld } from "./subsampled-gaussian-pld.js";

/** `count` compositions of one discretised PLD. */
export interface PldGroup {
  readonly pld: DiscretePld;
  readonly count: number;
}

/**
 * The composed PLD on a window of N consecutive grid points. `extraDelta` bounds, from above, everything the
 * window leaves out: the mass at +∞ and the mass beyond the window's top (which the circular convolution would
 * otherwise fold back onto lower losses). Mass below the window folds onto its top, which only enlarges δ.
 */
export interface ComposedPld {
  readonly minIndex: number;
  readonly pmf: Float64Array;
  readonly extraDelta: number;
}

const LAMBDAS: readonly number[] = Array.from({ length: 50 }, (_, k) => 0.01 * 1.5 ** k);

/** log Σ_i pmf_i·e^{λ·l_i} (the log-MGF of the finite part of the PLD). */
function logMgf(pld: DiscretePld, h: number, lambda: number): number {
  const { pmf, minIndex } = pld;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pmf.length; i++) {
    const p = pmf[i] as number;
    if (p > 0) {
      const v = Math.log(p) + lambda * (minIndex + i) * h;
      if (v > max) max = v;
    }
  }
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < pmf.length; i++) {
    const p = pmf[i] as number;
    if (p > 0) sum += Math.exp(Math.log(p) + lambda * (minIndex + i) * h - max);
  }
  return max + Math.log(sum);
}

/**
 * A loss window [lo, hi] outside which the composed finite PLD has mass at most `tail` on each side, by the
 * Chernoff bound P(S > u) <= exp(Σ count·K(λ) − λu) over a grid of λ (and its mirror for the lower side).
 */
export function chernoffWindow(groups: readonly PldGroup[], h: number, tail: number): { lo: number; hi: number } {
  const logInvTail = Math.log(1 / tail);
  let hi = Number.POSITIVE_INFINITY;
  let lo = Number.NEGATIVE_INFINITY;
  for (const lambda of LAMBDAS) {
    let up = 0;
    let down = 0;
    for (const { pld, count } of groups) {
      up += count * logMgf(pld, h, lambda);
      down += count * logMgf(pld, h, -lambda);
    }
    const candidateHi = (up + logInvTail) / lambda;
    const candidateLo = -(down + logInvTail) / lambda;
    if (candidateHi < hi) hi = candidateHi;
    if (candidateLo > lo) lo = candidateLo;
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new RangeError("PLD window is not finite");
  return { lo, hi };
}

const fftCache = new Map<number, Fft>();

/** FFT plans are reused across calls (their twiddle tables cost as much as a transform). */
function fftOfSize(size: number): Fft {
  let fft = fftCache.get(size);
  if (fft === undefined) {
    if (fftCache.size >= 4) fftCache.clear();
    fft = new Fft(size);
    fftCache.set(size, fft);
  }
  return fft;
}

/** Smallest power of two >= n. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * Composes the groups by FFT: each group's spectrum is raised to its count in polar form (so 10⁵ compositions
 * cost one transform), the spectra are multiplied and transformed back. The result covers grid indices
 * [⌊window.lo/h⌋, ⌊window.lo/h⌋ + size).
 */
export function composePlds(
  groups: readonly PldGroup[],
  h: number,
  window: { lo: number; hi: number },
  size: number,
  windowTail: number,
): ComposedPld {
  const fft = fftOfSize(size);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const logMagnitude = new Float64Array(size);
  const phase = new Float64Array(size);
  let logNoInfinity = 0;
  for (const { pld, count } of groups) {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < pld.pmf.length; i++) {
      const position = (((pld.minIndex + i) % size) + size) % size;
      re[position] = (re[position] as number) + (pld.pmf[i] as number);
    }
    fft.forward(re, im);
    for (let k = 0; k < size; k++) {
      const a = re[k] as number;
      const b = im[k] as number;
      logMagnitude[k] = (logMagnitude[k] as number) + count * 0.5 * Math.log(a * a + b * b);
      phase[k] = (phase[k] as number) + count * Math.atan2(b, a);
    }
    logNoInfinity += count * Math.log1p(-pld.infinityMass);
  }
  for (let k = 0; k < size; k++) {
    const magnitude = Math.exp(logMagnitude[k] as number);
    re[k] = magnitude * Math.cos(phase[k] as number);
    im[k] = magnitude * Math.sin(phase[k] as number);
  }
  fft.inverse(re, im);
  const minIndex = Math.floor(window.lo / h);
  const pmf = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const position = ((((minIndex + j) % size) + size) % size) as number;
    const value = re[position] as number;
    pmf[j] = Math.max(value, 0);
  }
  return { minIndex, pmf, extraDelta: -Math.expm1(logNoInfinity) + windowTail };
}

/** δ(ε) of the composed PLD: Σ_{l > ε} p(l)·(1 − e^{ε−l}) + extraDelta. */
export function pldDelta(composed: ComposedPld, h: number, epsilon: number): number {
  const { pmf, minIndex } = composed;
  let delta = 0;
  for (let j = pmf.length - 1; j >= 0; j--) {
    const loss = (minIndex + j) * h;
    if (loss <= epsilon) break;
    delta += (pmf[j] as number) * -Math.expm1(epsilon - loss);
  }
  return Math.min(1, delta + composed.extraDelta);
}

/**
 * Smallest ε >= 0 with δ(ε) <= delta, solved exactly for the discrete PLD: between grid points δ is
 * S1 − e^{ε − l_j}·S2, with S1 = Σ_{m>j} p_m and S2 = Σ_{m>j} p_m·e^{l_j − l_m}.
 */
export function pldEpsilon(composed: ComposedPld, h: number, delta: number): number {
  const { pmf, minIndex, extraDelta } = composed;
  if (extraDelta >= delta) return Number.POSITIVE_INFINITY;
  const decay = Math.exp(-h);
  let s1 = 0;
  let s2 = 0;
  for (let j = pmf.length - 1; j >= 0; j--) {
    // Invariant: s1 = Σ_{m>j} p_m and s2 = Σ_{m>j} p_m·e^{l_j − l_m}, so δ(l_j) = s1 − s2 + extraDelta.
    const loss = (minIndex + j) * h;
    if (s1 - s2 + extraDelta > delta) return Math.max(0, loss + Math.log((s1 + extraDelta - delta) / s2));
    // δ is non-increasing, so δ(0) <= δ(l_j) <= target once l_j <= 0.
    if (loss <= 0) return 0;
    const p = pmf[j] as number;
    s1 += p;
    s2 = (s2 + p) * decay;
  }
  // δ(l_0) <= target at the window's bottom (which lies above 0): l_0 itself is a valid ε.
  return Math.max(0, minIndex * h);
}
