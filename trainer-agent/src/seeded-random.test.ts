import { describe, expect, it } from "vitest";
import { SeededRandom } from "./seeded-random.js";

const N = 20_000;

function moments(draw: () => number): { mean: number; variance: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < N; i++) {
    const x = draw();
    sum += x;
    squares += x * x;
  }
  const mean = sum / N;
  return { mean, variance: squares / N - mean * mean };
}

describe("SeededRandom", () => {
  it("repeats per seed and differs between seeds", () => {
    const a = new SeededRandom("x");
    const b = new SeededRandom("x");
    const c = new SeededRandom("y");
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it("draws uniforms and normals with the right first two moments", () => {
    // Standard errors at N = 20,000: uniform mean 0.002, normal mean 0.007; bounds are ~5 standard errors.
    const random = new SeededRandom(1);
    const u = moments(() => random.nextFloat());
    expect(Math.abs(u.mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(u.variance - 1 / 12)).toBeLessThan(0.005);
    const z = moments(() => random.nextNormal());
    expect(Math.abs(z.mean)).toBeLessThan(0.035);
    expect(Math.abs(z.variance - 1)).toBeLessThan(0.05);
  });

  it.each([0.3, 1, 4.5])("draws Gamma(%f, 1) with mean and variance equal to the shape", (shape) => {
    const random = new SeededRandom(shape);
    const g = moments(() => Math.exp(random.nextLogGamma(shape)));
    // Relative standard error of the mean is 1/√(shape·N) ≤ 1.3%; of the variance larger (heavy tail at 0.3).
    expect(Math.abs(g.mean - shape) / shape).toBeLessThan(0.05);
    expect(Math.abs(g.variance - shape) / shape).toBeLessThan(0.15);
  });

  it("draws Dirichlet proportions that sum to one with mean 1/k, even for tiny α", () => {
    const random = new SeededRandom(7);
    const k = 5;
    const totals = new Float64Array(k);
    for (let i = 0; i < 4000; i++) {
      const p = random.nextDirichlet(0.5, k);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      p.forEach((value, j) => {
        totals[j] = (totals[j] as number) + value;
      });
    }
    totals.forEach((total) => {
      expect(Math.abs(total / 4000 - 1 / k)).toBeLessThan(0.02);
    });
    const tiny = random.nextDirichlet(0.001, k); // Gamma(0.001) underflows in linear space; log space does not
    expect(tiny.every(Number.isFinite)).toBe(true);
    expect(Math.abs(tiny.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
  });

  it("shuffles into a permutation", () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const shuffled = new SeededRandom(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });
});
