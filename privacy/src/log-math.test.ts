import { describe, expect, it } from "vitest";
import { erfc, logAdd, logErfc, logNormalCdf, logSub, normalCdf } from "./log-math.js";

describe("Gaussian tail functions", () => {
  // Values of erfc from the standard tables (Abramowitz & Stegun Table 7.1; DLMF §7), to 16 significant digits.
  it.each([
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.1572992070502851],
    [1.5, 0.03389485352468927],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.537459794428035e-12],
    [10, 2.088487583762545e-45],
    [-1, 1.842700792949715],
  ])("erfc(%s) = %s", (x, value) => {
    expect(Math.abs(erfc(x) / value - 1)).toBeLessThan(1e-14);
  });

  it("keeps log erfc finite and accurate far in the tail (asymptotic series)", () => {
    for (const x of [20, 30, 100]) {
      // erfc(x) ~ e^{−x²}/(x√π)·(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶)), error < 105/(16x⁸).
      const series = 1 - 1 / (2 * x * x) + 3 / (4 * x ** 4) - 15 / (8 * x ** 6);
      const expected = -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log(series);
      expect(logErfc(x)).toBeCloseTo(expected, 9);
    }
    expect(logNormalCdf(-40)).toBeCloseTo(logErfc(40 / Math.SQRT2) - Math.LN2, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 15);
  });

  it("adds and subtracts in log space", () => {
    expect(logAdd(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 15);
    expect(logAdd(Number.NEGATIVE_INFINITY, 1)).toBe(1);
    expect(logSub(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 15);
    expect(logSub(1, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(() => logSub(0, 1)).toThrow(RangeError);
  });
});
