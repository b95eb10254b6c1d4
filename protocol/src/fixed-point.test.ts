import { describe, expect, it } from "vitest";
import { fromFixed18, toFixed18 } from "./fixed-point.js";

describe("18-decimal fixed point", () => {
  it("converts decimal values exactly where a double holds them exactly", () => {
    expect(toFixed18(0)).toBe(0n);
    expect(toFixed18(1)).toBe(10n ** 18n);
    expect(toFixed18(0.5)).toBe(5n * 10n ** 17n);
    expect(toFixed18(8.25)).toBe(8_250_000_000_000_000_000n);
  });

  it("rounds a double to the nearest 1e-18 (1e-5 is 0.0000100000000000000008180305…)", () => {
    expect(toFixed18(1e-5)).toBe(10_000_000_000_000n);
  });

  it("round-trips to the same double for typical ε and δ values", () => {
    for (const value of [1e-5, 0.1, 1.2345, 7.99, 42]) expect(fromFixed18(toFixed18(value))).toBe(value);
  });

  it("rejects negative and non-finite values", () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => toFixed18(value)).toThrow(RangeError);
  });
});

describe("18-decimal fixed point against ethers' parseUnits (the reference it used to call every time)", () => {
  it("gives parseUnits(value.toFixed(18), 18) for values across the whole range, and refuses what it refuses (≥ 1e21)", async () => {
    const { parseUnits } = await import("ethers");
    const values = [
      0,
      5e-324,
      1e-19,
      4e-19,
      6e-19,
      1e-18,
      1e-5,
      0.1,
      1 / 3,
      1,
      2 ** 53,
      1e20,
      9.99e20,
      1e21,
      1e22,
      1e300,
    ];
    for (let index = 0; index < 200; index++) values.push(Math.random() * 10 ** ((index % 30) - 10));
    for (const value of values) {
      let reference: bigint | undefined;
      try {
        reference = parseUnits(value.toFixed(18), 18);
      } catch {
        expect(() => toFixed18(value)).toThrow();
        continue;
      }
      expect(toFixed18(value)).toBe(reference);
    }
    expect(values.filter((value) => value >= 1e21).length).toBeGreaterThan(2);
  });
});
