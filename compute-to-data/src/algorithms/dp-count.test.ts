import { SecureRandom } from "@tributary/privacy";
import { describe, expect, it } from "vitest";
import { noisyCount } from "./dp-count.js";

/** The discrete Laplace CDF in closed form, ρ = e^{−ε}: ρ^{−k}/(1 + ρ) for k < 0, 1 − ρ^{k+1}/(1 + ρ) for k >= 0. */
function cdf(epsilon: number): (k: number) => number {
  const rho = Math.exp(-epsilon);
  return (k) => (k < 0 ? rho ** -k / (1 + rho) : 1 - rho ** (k + 1) / (1 + rho));
}

describe("dp-count's noise", () => {
  it("is the geometric mechanism's: a Kolmogorov–Smirnov test of noisy − true against the closed-form CDF", () => {
    const n = 50_000;
    const epsilon = 0.7;
    const random = new SecureRandom();
    const noise = Float64Array.from({ length: n }, () => noisyCount(1234, epsilon, random) - 1234).sort();
    const F = cdf(epsilon);
    // Integer samples: both CDFs step only at integers, so compare at each sampled k and just below it.
    let statistic = 0;
    let runStart = 0;
    for (let i = 0; i < n; i++) {
      if (i + 1 < n && noise[i + 1] === noise[i]) continue;
      const k = noise[i] as number;
      statistic = Math.max(statistic, Math.abs((i + 1) / n - F(k)), Math.abs(runStart / n - F(k - 1)));
      runStart = i + 1;
    }
    // DKW (Massart): P(D > t) <= 2e^{−2nt²}; a loose threshold at level 1e-9 (conservative for a discrete law).
    expect(statistic).toBeLessThan(Math.sqrt(Math.log(2 / 1e-9) / (2 * n)));
    // And against the continuous Laplace of the same ε the discrete law is visibly different (the test has power).
    const continuous = (x: number) => (x < 0 ? 0.5 * Math.exp(epsilon * x) : 1 - 0.5 * Math.exp(-epsilon * x));
    let against = 0;
    for (let i = 0; i < n; i++) against = Math.max(against, Math.abs((i + 1) / n - continuous(noise[i] as number)));
    expect(against).toBeGreaterThan(Math.sqrt(Math.log(2 / 1e-9) / (2 * n)));
  });
});
