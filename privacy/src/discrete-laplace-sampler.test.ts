import { describe, expect, it } from "vitest";
import { DiscreteLaplaceSampler } from "./discrete-laplace-sampler.js";
import { SecureRandom } from "./secure-random.js";

/**
 * Dvoretzky–Kiefer–Wolfowitz with Massart's constant: P(sup|F_n − F| > t) <= 2e^{−2nt²} for every distribution
 * (for a discrete one the test is conservative), so t = √(ln(2/α)/(2n)) has level <= α; α = 1e-9 per check.
 */
function dkwThreshold(n: number): number {
  return Math.sqrt(Math.log(2 / 1e-9) / (2 * n));
}

/** The closed-form CDF of the discrete Laplace of scale t: ρ^{−k}/(1+ρ) for k < 0, 1 − ρ^{k+1}/(1+ρ) for k >= 0. */
function discreteLaplaceCdf(t: number): (k: number) => number {
  const rho = Math.exp(-1 / t);
  return (k) => (k < 0 ? rho ** -k / (1 + rho) : 1 - rho ** (k + 1) / (1 + rho));
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
    worst = Math.max(worst, Math.abs((i + 1) / n - cdf(k)), Math.abs(runStart / n - cdf(k - 1)));
    runStart = i + 1;
  }
  return worst;
}

function draw(scale: number, n: number): Float64Array {
  const sampler = new DiscreteLaplaceSampler(scale);
  const random = new SecureRandom();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sampler.sample(random);
  return out;
}

describe("DiscreteLaplaceSampler", () => {
  it.each([0.4, 1, 3.7, 250.5])(
    "draws the discrete Laplace of scale %s (DKW test against the closed-form CDF)",
    (t) => {
      const n = 100_000;
      const samples = draw(t, n);
      expect(samples.every(Number.isInteger)).toBe(true);
      expect(ksDiscrete(samples, discreteLaplaceCdf(t))).toBeLessThan(dkwThreshold(n));
      // Variance 2ρ/(1 − ρ)², within 5 standard errors (the fourth moment bounds the sample variance's spread).
      const rho = Math.exp(-1 / t);
      const variance = (2 * rho) / (1 - rho) ** 2;
      const secondMoment = samples.reduce((sum, x) => sum + x * x, 0) / n;
      expect(Math.abs(secondMoment - variance)).toBeLessThan(5 * Math.sqrt((7 * variance * variance) / n));
    },
  );

  it("would fail the same test for a scale 10% off (the test has power)", () => {
    const n = 100_000;
    expect(ksDiscrete(draw(3.7, n), discreteLaplaceCdf(3.7 * 1.1))).toBeGreaterThan(dkwThreshold(n));
  });

  it("takes the scale Δ/ε and refuses meaningless parameters", () => {
    expect(DiscreteLaplaceSampler.forEpsilon(3, 0.5).scale).toBe(6);
    expect(() => DiscreteLaplaceSampler.forEpsilon(1, 0)).toThrow(/epsilon/);
    expect(() => DiscreteLaplaceSampler.forEpsilon(0.5, 1)).toThrow(/sensitivity/);
    expect(() => new DiscreteLaplaceSampler(2 ** 41)).toThrow(/scale/);
  });
});
