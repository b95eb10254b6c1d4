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
