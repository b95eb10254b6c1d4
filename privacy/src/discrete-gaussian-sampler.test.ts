import { describe, expect, it } from "vitest";
import { DiscreteGaussianSampler } from "./discrete-gaussian-sampler.js";
import { SecureRandom } from "./secure-random.js";

/**
 * Dvoretzky–Kiefer–Wolfowitz with Massart's constant: P(sup|F_n − F| > t) <= 2e^{−2nt²} for every distribution,
 * so t = √(ln(2/α)/(2n)) is a test of exact level <= α. α = 1e-9 per check keeps the suite's false-failure rate
 * far below 1e-6 while a wrong distribution (below) still fails by a wide margin.
 */
const ALPHA = 1e-9;
function dkwThreshold(n: number): number {
  return Math.sqrt(Math.log(2 / ALPHA) / (2 * n));
}

/** Exact CDF of N_Z(0, σ²) by direct summation (an independent reference: no tables, no rejection). */
function discreteGaussianCdf(sigma: number): (k: number) => number {
  const K = Math.ceil(40 * sigma) + 10;
  const weights: number[] = [];
  let total = 0;
  for (let k = -K; k <= K; k++) {
    const w = Math.exp(-(k * k) / (2 * sigma * sigma));
    weights.push(w);
    total += w;
  }
  const cumulative: number[] = [];
  let running = 0;
  for (const w of weights) {
    running += w;
    cumulative.push(running / total);
  }
  return (k) => (k < -K ? 0 : k >= K ? 1 : (cumulative[k + K] as number));
}

/** sup_x |F_n(x) − F(x)| for integer samples: both CDFs step only at integers, so check F(k) and F(k − 1). */
function ksDiscrete(samples: Float64Array, cdf: (k: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let worst = 0;
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    const k = sorted[i] as number;
    // F_n(k) = (i + 1)/n and F_n(k − 1) = runStart/n.
    worst = Math.max(worst, Math.abs((i + 1) / n - cdf(k)), Math.abs(runStart / n - cdf(k - 1)));
    runStart = i + 1;
  }
  return worst;
}

/** Standard normal CDF, Abramowitz & Stegun 26.2.17 (absolute error < 7.5e-8): a second, independent Φ. */
function normalCdfAS(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp(-(x * x) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return x >= 0 ? 1 - tail : tail;
}

function draw(sampler: DiscreteGaussianSampler, n: number): Float64Array {
  const out = new Float64Array(n);
  sampler.fill(out, new SecureRandom());
  return out;
}

describe("DiscreteGaussianSampler", () => {
  it.each([3.5, 200, 12_345.6])("samples N_Z(0, σ²) exactly (DKW test at α = 1e-9), σ = %s", (sigma) => {
    const n = 100_000;
    const samples = draw(new DiscreteGaussianSampler(sigma), n);
    expect(samples.every(Number.isInteger)).toBe(true);
    expect(ksDiscrete(samples, discreteGaussianCdf(sigma))).toBeLessThan(dkwThreshold(n));
  });

  it("samples N_Z(0, σ²) for a huge σ, whose CDF is Φ((k + ½)/σ) to within e^{−2π²σ²} (Poisson summation)", () => {
    const sigma = 1e7;
    const n = 100_000;
    const samples = draw(new DiscreteGaussianSampler(sigma), n);
    // 7.5e-8 is the reference Φ's own error, added to the threshold.
    expect(ksDiscrete(samples, (k) => normalCdfAS((k + 0.5) / sigma))).toBeLessThan(dkwThreshold(n) + 7.5e-8);
  });

  it.each([
    [3.5, 0.5],
    [50, 1],
  ])("samples exactly through the tail envelope too (σ = %s, table cut at %sσ)", (sigma, cutoff) => {
    const n = 50_000;
    const samples = draw(new DiscreteGaussianSampler(sigma, { tableCutoff: cutoff }), n);
    const beyond = samples.filter((k) => Math.abs(k) >= cutoff * sigma).length;
    expect(beyond).toBeGreaterThan(n / 10); // the tail path really ran
    expect(ksDiscrete(samples, discreteGaussianCdf(sigma))).toBeLessThan(dkwThreshold(n));
  });

  it("the same test rejects a sampler whose σ is 5% too large", () => {
    const n = 100_000;
    const samples = draw(new DiscreteGaussianSampler(210), n);
    expect(ksDiscrete(samples, discreteGaussianCdf(200))).toBeGreaterThan(dkwThreshold(n));
  });

  it("puts the right mass beyond 3σ (binomial bound at 6 standard deviations)", () => {
    const sigma = 1e6;
    const n = 200_000;
    const samples = draw(new DiscreteGaussianSampler(sigma), n);
    const cdf = discreteGaussianCdf(1000); // same shape; tail mass P(|k| > 3σ) via the σ = 1000 lattice
    const p = 2 * (1 - cdf(3000));
    const count = samples.filter((k) => Math.abs(k) > 3 * sigma).length;
    expect(Math.abs(count - n * p)).toBeLessThan(6 * Math.sqrt(n * p * (1 - p)));
  });

  it("rejects σ outside (0, 2^36]", () => {
    expect(() => new DiscreteGaussianSampler(0)).toThrow(RangeError);
    expect(() => new DiscreteGaussianSampler(2 ** 37)).toThrow(RangeError);
  });
});
