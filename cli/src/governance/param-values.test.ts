import { describe, expect, it } from "vitest";
import { BOOL, BPS, duration, formatDuration, PERCENT, TOKENS } from "./param-values.js";

const trib = { token: { address: "0x0000000000000000000000000000000000000001", symbol: "TRIB", decimals: 18 } };
const usdc = { token: { address: "0x0000000000000000000000000000000000000002", symbol: "USDC", decimals: 6 } };

describe("parameter values as typed after --set NAME=", () => {
  it("reads durations in seconds, minutes, hours, days and weeks, within the field's uint size", () => {
    const uint40 = duration(40);
    const seconds = (text: string) => uint40.parse(text, "p", trib);
    expect([seconds("3600"), seconds("45s"), seconds("90m"), seconds("36h"), seconds("7d"), seconds("2w")]).toEqual([
      3_600n,
      45n,
      5_400n,
      129_600n,
      604_800n,
      1_209_600n,
    ]);
    expect(seconds(String(2 ** 40 - 1))).toBe(2n ** 40n - 1n);
    expect(() => seconds(String(2 ** 40))).toThrow(
      "invalid --set: p=1099511627776: must be at most 1099511627775 seconds (uint40)",
    );
    for (const bad of ["", "7 d", "1.5d", "-1", "7days", "d"])
      expect(() => seconds(bad), bad).toThrow("must be a duration");
  });

  it("shows durations in the largest unit that divides them, with the seconds", () => {
    expect([formatDuration(604_800n), formatDuration(5_400n), formatDuration(7_200n), formatDuration(61n)]).toEqual([
      "7 d (604800 s)",
      "90 min (5400 s)",
      "2 h (7200 s)",
      "61 s",
    ]);
  });

  it("bounds basis points by 10000 and percentages by 100", () => {
    expect(BPS.parse("10000", "p", trib)).toBe(10_000n);
    expect(BPS.show(250n, trib)).toBe("250 bps (2.5 %)");
    expect(() => BPS.parse("10001", "p", trib)).toThrow("must be at most 10000 basis points (100 %)");
    expect(() => BPS.parse("2.5", "p", trib)).toThrow("must be basis points, a whole number");
    expect(PERCENT.parse("100", "p", trib)).toBe(100n);
    expect(() => PERCENT.parse("101", "p", trib)).toThrow("must be at most 100 (%)");
  });

  it("reads token amounts with the token's own decimals, zero allowed", () => {
    expect(TOKENS.parse("12.5", "p", trib)).toBe(125n * 10n ** 17n);
    expect(TOKENS.parse("12.5", "p", usdc)).toBe(12_500_000n);
    expect(TOKENS.parse("0", "p", trib)).toBe(0n);
    expect(TOKENS.show(1_500_000n, usdc)).toBe("1.5 USDC");
    expect(() => TOKENS.parse("0.0000001", "p", usdc)).toThrow(
      "USDC has 6 decimals, so at most 6 digits after the point",
    );
    expect(() => TOKENS.parse("1e18", "p", trib)).toThrow("must be an amount of tokens");
  });

  it("reads flags only as true or false", () => {
    expect([BOOL.parse("true", "p", trib), BOOL.parse("false", "p", trib)]).toEqual([true, false]);
    expect(() => BOOL.parse("yes", "p", trib)).toThrow("invalid --set: p=yes: must be true or false");
  });
});
