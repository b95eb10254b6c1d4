import { describe, expect, it } from "vitest";
import { exponentialQuantile } from "./exponential-quantile.js";
import { SecureRandom } from "./secure-random.js";

/** The exponential mechanism's distribution straight from its definition: every grid point's utility by counting. */
function bruteForce(data: readonly number[], gridSize: number, q: number, epsilon: number): number[] {
  const target = q * data.length;
  const weights = Array.from({ length: gridSize }, (_, j) => {
    const below = data.filter((x) => x < j).length;
    const atOrBelow = data.filter((x) => x <= j).length;
    return Math.exp((epsilon / 2) * -Math.max(0, below - target, target - atOrBelow));
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

describe("exponentialQuantile", () => {
  it("releases each grid point with the exponential mechanism's probability (χ² against the brute-force law)", () => {
    const data = [2, 3, 3, 3, 7, 8, 11, 15];
    const gridSize = 20;
    const probabilities = bruteForce(data, gridSize, 0.5, 0.8);
    const n = 100_000;
    const counts = new Array<number>(gridSize).fill(0);
    const random = new SecureRandom();
    for (let i = 0; i < n; i++) {
      const j = exponentialQuantile({ sorted: data, gridSize, quantile: 0.5, epsilon: 0.8 }, random);
      counts[j] = (counts[j] as number) + 1;
    }
    const chi2 = counts.reduce(
      (sum, c, j) => sum + (c - n * (probabilities[j] as number)) ** 2 / (n * (probabilities[j] as number)),
      0,
    );
    // 19 degrees of freedom: P(χ² > 60) < 1e-5.
    expect(chi2).toBeLessThan(60);
  });

  it("lands within (2/ε)(ln G + τ) ranks of the true quantile with probability 1 − e^{−τ}", () => {
    const random = new SecureRandom();
    const gridSize = 65_537;
    const data = Array.from({ length: 2000 }, () => random.nextUintBelow(gridSize)).sort((a, b) => a - b);
    const epsilon = 0.5;
    const bound = (2 / epsilon) * (Math.log(gridSize) + Math.log(1e6));
    for (const q of [0.1, 0.5, 0.9]) {
      const j = exponentialQuantile({ sorted: data, gridSize, quantile: q, epsilon }, random);
      const below = data.filter((x) => x < j).length;
      const atOrBelow = data.filter((x) => x <= j).length;
      expect(below - q * data.length).toBeLessThanOrEqual(bound);
      expect(q * data.length - atOrBelow).toBeLessThanOrEqual(bound);
    }
  });

  it("refuses unsorted data and meaningless parameters", () => {
    const random = new SecureRandom();
    expect(() => exponentialQuantile({ sorted: [3, 1], gridSize: 4, quantile: 0.5, epsilon: 1 }, random)).toThrow(
      /sorted/,
    );
    expect(() => exponentialQuantile({ sorted: [1], gridSize: 4, quantile: 1, epsilon: 1 }, random)).toThrow(
      /quantile/,
    );
    expect(() => exponentialQuantile({ sorted: [1], gridSize: 1, quantile: 0.5, epsilon: 1 }, random)).toThrow(
      /gridSize/,
    );
  });
});
