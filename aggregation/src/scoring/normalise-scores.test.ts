import { describe, expect, it } from "vitest";
import { AggregationInputError } from "../errors.js";
import { normaliseScores } from "./normalise-scores.js";

/** The rule written out plainly: clip at 0, zero the rejected, divide by the sum. */
function reference(raw: number[], rejected: number[] = []): number[] {
  const clipped = raw.map((value, i) => (rejected.includes(i) ? 0 : Math.max(0, value)));
  const total = clipped.reduce((a, b) => a + b, 0);
  return clipped.map((value) => value / total);
}

describe("normaliseScores", () => {
  it("clips negative contributions to 0 and divides the rest by their sum", () => {
    expect(Array.from(normaliseScores([1, 3]))).toEqual([0.25, 0.75]);
    expect(Array.from(normaliseScores([2, -5, 6, 0]))).toEqual([0.25, 0, 0.75, 0]);
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let trial = 0; trial < 50; trial++) {
      const raw = Array.from({ length: 1 + (trial % 17) }, () => next() * 2 - 0.7);
      if (!raw.some((value) => value > 0)) raw[0] = 0.1;
      const shares = normaliseScores(raw);
      expect(Array.from(shares)).toEqual(reference(raw).map((value) => expect.closeTo(value, 15)));
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      for (const share of shares) expect(share).toBeGreaterThanOrEqual(0);
    }
  });

  it("gives rejected updates exactly 0 whatever their raw score", () => {
    const shares = normaliseScores([5, 1, 3, 9], { rejected: [3, 0] });
    expect(Array.from(shares)).toEqual([0, 0.25, 0.75, 0]);
  });

  it("splits equally among the non-rejected when nothing eligible is positive, or gives 0 on request", () => {
    expect(Array.from(normaliseScores([-1, -2, -0.5, -3]))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(normaliseScores([0, 0, 0]))).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(Array.from(normaliseScores([-1, 4, -2, -3], { rejected: [1] }))).toEqual([1 / 3, 0, 1 / 3, 1 / 3]);
    expect(Array.from(normaliseScores([-1, -2], { allZero: "zero" }))).toEqual([0, 0]);
    expect(Array.from(normaliseScores([7, 8], { rejected: [0, 1] }))).toEqual([0, 0]);
    expect(normaliseScores([]).length).toBe(0);
  });

  it("keeps the shares when the positive scores would overflow if added", () => {
    const shares = normaliseScores([Number.MAX_VALUE, Number.MAX_VALUE, -1, Number.MAX_VALUE / 2]);
    expect(Array.from(shares)).toEqual([0.4, 0.4, 0, 0.2].map((value) => expect.closeTo(value, 15)));
  });

  it("rejects non-finite scores and rejected indices out of range", () => {
    expect(() => normaliseScores([1, Number.NaN])).toThrow(AggregationInputError);
    expect(() => normaliseScores([1, Number.POSITIVE_INFINITY])).toThrow(AggregationInputError);
    expect(() => normaliseScores([1, 2], { rejected: [2] })).toThrow(AggregationInputError);
    expect(() => normaliseScores([1, 2], { rejected: [-1] })).toThrow(AggregationInputError);
    expect(() => normaliseScores([1, 2], { rejected: [0.5] })).toThrow(AggregationInputError);
  });
});
