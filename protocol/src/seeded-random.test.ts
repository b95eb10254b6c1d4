import { describe, expect, it } from "vitest";
import { InvalidInputError } from "./parse.js";
import { SeededRandom } from "./seeded-random.js";

/** Pearson's χ² statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

// Upper 0.1% point of the χ² distribution with 5 degrees of freedom (statistical tables).
const CHI2_5_DOF_999 = 20.515;

describe("SeededRandom: integers and permutations", () => {
  it("replays the same stream for the same seed and a different one for another seed", () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(-7)).toEqual(draw(-7));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    for (const value of draw(1)) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
  });

  it("draws integers below a bound uniformly (χ² test at the 0.1% level)", () => {
    const random = new SeededRandom(2024);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const value = random.nextInt(6);
      counts[value] = (counts[value] as number) + 1;
    }
    expect(chiSquare(counts)).toBeLessThan(CHI2_5_DOF_999);
    expect(random.nextInt(1)).toBe(0);
  });

  it("shuffles into every order of three items equally often and leaves the prefix before start alone", () => {
    const random = new SeededRandom(7);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const order = random.shuffle(Uint32Array.from([0, 1, 2]));
      const key = order.join("");
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"]);
    expect(chiSquare([...seen.values()])).toBeLessThan(CHI2_5_DOF_999);

    for (let i = 0; i < 100; i++) {
      const order = random.shuffle([9, 8, 0, 1, 2, 3, 4], 2);
      expect(order.slice(0, 2)).toEqual([9, 8]);
      expect(order.slice(2).sort()).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it("rejects a seed or bound it cannot honour", () => {
    expect(() => new SeededRandom(0.5)).toThrow(InvalidInputError);
    expect(() => new SeededRandom(2 ** 60)).toThrow(InvalidInputError);
    const random = new SeededRandom(1);
    expect(() => random.nextInt(0)).toThrow(InvalidInputError);
    expect(() => random.nextInt(2 ** 33)).toThrow(InvalidInputError);
  });
});
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

describe("SeededRandom: floats and distributions", () => {
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
    const random = new SeededRandom(`gamma ${shape}`);
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

describe("SeededRandom: replay of past rounds", () => {
  it("draws exactly what contribution scoring drew before the generators were merged", () => {
    // Outputs of aggregation's createSeededRandom (commit 1b66873), which GTG-Shapley used for its permutations:
    // an auditor recomputing a past round's scores needs the same stream.
    const pinned: [number, number[], number[]][] = [
      [0, [591558436, 2737234123, 107644106, 1338548054, 2499804003, 2743868851], [0, 6, 9, 1, 5, 7, 3, 8, 4, 2]],
      [42, [2476999517, 2284424721, 914527439, 3398404915, 1005869237, 3374281156], [0, 4, 9, 5, 7, 3, 8, 1, 2, 6]],
      [-7, [1840032645, 1865929544, 700160457, 1002667176, 1561658699, 4228305339], [0, 3, 2, 6, 9, 5, 8, 4, 1, 7]],
      [2 ** 40, [1206030485, 386971163, 1477598487, 1405720309, 2579006529, 75540574], [0, 6, 8, 1, 9, 5, 7, 2, 4, 3]],
    ];
    for (const [seed, words, order] of pinned) {
      const random = new SeededRandom(seed);
      expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual(words);
      const shuffled = new SeededRandom(seed).shuffle(
        Uint32Array.from({ length: 10 }, (_, i) => i),
        1,
      );
      expect(Array.from(shuffled)).toEqual(order);
    }
  });
});
