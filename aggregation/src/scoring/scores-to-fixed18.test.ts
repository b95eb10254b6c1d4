import { SCORE_SCALE } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { AggregationInputError } from "../errors.js";
import { scoresToFixed18 } from "./scores-to-fixed18.js";

const ONE = 10n ** 18n;

/** A double as an exact fraction numerator / 2^shift, found by doubling until it is an integer (exact in binary). */
function exactFraction(value: number): { numerator: bigint; shift: number } {
  let scaled = value;
  let shift = 0;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    shift++;
  }
  return { numerator: BigInt(scaled), shift };
}

/** Hamilton's method written plainly: floors of the exact quotas, leftover units to the largest remainders. */
function reference(scores: number[]): bigint[] {
  const fractions = scores.map(exactFraction);
  const shift = Math.max(...fractions.map((f) => f.shift));
  const numerators = fractions.map((f) => f.numerator << BigInt(shift - f.shift));
  const total = numerators.reduce((a, b) => a + b, 0n);
  const floors = numerators.map((m) => (m * ONE) / total);
  const remainders = numerators.map((m, i) => m * ONE - (floors[i] as bigint) * total);
  let left = ONE - floors.reduce((a, b) => a + b, 0n);
  const order = scores.map((_, i) => i);
  order.sort((a, b) => {
    const difference = (remainders[b] as bigint) - (remainders[a] as bigint);
    return difference > 0n ? 1 : difference < 0n ? -1 : a - b;
  });
  for (const i of order) {
    if (left === 0n) break;
    floors[i] = (floors[i] as bigint) + 1n;
    left--;
  }
  return floors;
}

describe("scoresToFixed18", () => {
  it("uses the protocol's score scale of 10^18", () => {
    expect(SCORE_SCALE).toBe(ONE);
  });

  it("matches hand-computed largest-remainder roundings", () => {
    expect(scoresToFixed18([0.25, 0.75])).toEqual([250_000_000_000_000_000n, 750_000_000_000_000_000n]);
    expect(scoresToFixed18([1, 0])).toEqual([ONE, 0n]);
    // 10^18 / 3 = 333…333.33: one unit is left over and equal remainders go to the lowest index.
    expect(scoresToFixed18([1 / 3, 1 / 3, 1 / 3])).toEqual([
      333_333_333_333_333_334n,
      333_333_333_333_333_333n,
      333_333_333_333_333_333n,
    ]);
    // Shares 1/9 (remainder 1/9) ×6 and 3/9 (remainder 3/9): the leftover unit goes to the largest remainder.
    expect(scoresToFixed18([1, 1, 1, 1, 1, 1, 3])).toEqual([
      ...new Array(6).fill(111_111_111_111_111_111n),
      333_333_333_333_333_334n,
    ]);
    // Unnormalised input is divided by its exact sum.
    expect(scoresToFixed18([2, 6])).toEqual([250_000_000_000_000_000n, 750_000_000_000_000_000n]);
  });

  it("sums to exactly 10^18, stays within one unit of each exact share, and matches a plain reference", () => {
    let state = 99;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + (trial % 40);
      const raw: number[] = Array.from({ length: n }, () => (next() < 0.2 ? 0 : next() ** 3));
      if (!raw.some((value) => value > 0)) raw[0] = 0.5;
      const total = raw.reduce((a, b) => a + b, 0);
      const scores = raw.map((value) => value / total);
      const fixed = scoresToFixed18(scores);
      expect(fixed.reduce((a, b) => a + b, 0n)).toBe(ONE);
      expect(fixed).toEqual(reference(scores));
      fixed.forEach((value, i) => {
        if (scores[i] === 0) expect(value).toBe(0n);
        expect(Math.abs(Number(value) / 1e18 - (scores[i] as number))).toBeLessThan(1e-15 + 1e-18);
      });
    }
  });

  it("handles the extremes of the double range exactly", () => {
    expect(scoresToFixed18([Number.MIN_VALUE, 0])).toEqual([ONE, 0n]);
    expect(scoresToFixed18([Number.MIN_VALUE, Number.MIN_VALUE])).toEqual([ONE / 2n, ONE / 2n]);
    expect(scoresToFixed18([Number.MAX_VALUE, Number.MAX_VALUE])).toEqual([ONE / 2n, ONE / 2n]);
    expect(scoresToFixed18([Number.MAX_VALUE, Number.MIN_VALUE])).toEqual([ONE, 0n]);
  });

  it("gives all zeros for all-zero scores and rejects negative or non-finite ones", () => {
    expect(scoresToFixed18([0, 0, 0])).toEqual([0n, 0n, 0n]);
    expect(scoresToFixed18([])).toEqual([]);
    expect(() => scoresToFixed18([0.5, -0.5])).toThrow(AggregationInputError);
    expect(() => scoresToFixed18([Number.NaN])).toThrow(AggregationInputError);
    expect(() => scoresToFixed18([Number.POSITIVE_INFINITY])).toThrow(AggregationInputError);
  });
});
