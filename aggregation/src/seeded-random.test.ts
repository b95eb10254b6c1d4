import { describe, expect, it } from "vitest";
import { AggregationInputError } from "./errors.js";
import { createSeededRandom } from "./seeded-random.js";

/** Pearson's χ² statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

// Upper 0.1% point of the χ² distribution with 5 degrees of freedom (statistical tables).
const CHI2_5_DOF_999 = 20.515;

describe("createSeededRandom", () => {
  it("replays the same stream for the same seed and a different one for another seed", () => {
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(-7)).toEqual(draw(-7));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    for (const value of draw(1)) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
  });

  it("draws integers below a bound uniformly (χ² test at the 0.1% level)", () => {
    const random = createSeededRandom(2024);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const value = random.nextInt(6);
      counts[value] = (counts[value] as number) + 1;
    }
    expect(chiSquare(counts)).toBeLessThan(CHI2_5_DOF_999);
    expect(random.nextInt(1)).toBe(0);
  });

  it("shuffles into every order of three items equally often and leaves the prefix before start alone", () => {
    const random = createSeededRandom(7);
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
    expect(() => createSeededRandom(0.5)).toThrow(AggregationInputError);
    expect(() => createSeededRandom(2 ** 60)).toThrow(AggregationInputError);
    const random = createSeededRandom(1);
    expect(() => random.nextInt(0)).toThrow(AggregationInputError);
    expect(() => random.nextInt(2 ** 33)).toThrow(AggregationInputError);
  });
});
