import { describe, expect, it } from "vitest";
import { withEzklEngine } from "./ezkl-engine.js";
import { BN254_SCALAR_FIELD, feltToBigInt, feltToFloat, quantise } from "./felt.js";

/** `value` mod r as EZKL writes a field element: 32 bytes little-endian, hex. */
function felt(value: bigint): string {
  const element = ((value % BN254_SCALAR_FIELD) + BN254_SCALAR_FIELD) % BN254_SCALAR_FIELD;
  return element.toString(16).padStart(64, "0").match(/../g)?.reverse().join("") ?? "";
}

/** The engine's own conversion (its `feltToFloat` takes the element as a JSON string). */
function engineFeltToFloat(hex: string, scale: number): number {
  return withEzklEngine((engine) =>
    engine.feltToFloat(new Uint8ClampedArray(new TextEncoder().encode(JSON.stringify(hex))), scale),
  );
}

describe("field elements", () => {
  it("decode as the engine decodes them, negatives included", () => {
    const cases: [bigint, number][] = [
      [0n, 0],
      [1n, 0],
      [3n, 5],
      [-1n, 0],
      [-64n, 5],
      [2n ** 40n + 7n, 3],
      [-(2n ** 50n), 10],
    ];
    for (const [value, scale] of cases) {
      expect(feltToFloat(felt(value), scale), `${value} at scale ${scale}`).toBe(engineFeltToFloat(felt(value), scale));
      expect(feltToBigInt(felt(value))).toBe(value);
    }
  });

  it("refuses what is not a field element", () => {
    expect(() => feltToBigInt("00")).toThrow(RangeError);
    expect(() => feltToBigInt("ff".repeat(32))).toThrow(/not below the field's order/);
  });

  it("quantise halves away from zero, as EZKL (Rust's f64::round)", () => {
    expect([0.5, -0.5, 1.5417295, -2.5].map((value) => quantise(value, 0))).toEqual([1, -1, 2, -3]);
    expect(quantise(1.5417295, 5)).toBe(49 / 32);
  });
});
