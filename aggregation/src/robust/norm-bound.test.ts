import { describe, expect, it } from "vitest";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { l2Norm, normBound } from "./norm-bound.js";

describe("normBound", () => {
  it("scales a 3-4-5 vector onto the bound and leaves short vectors alone", () => {
    expect(l2Norm(Float32Array.of(3, 4))).toBe(5);
    // float32(0.6)² + float32(0.8)² > 1, so the result sits a few ulps inside the bound.
    const clipped = normBound(Float32Array.of(3, 4), 1);
    expect(clipped[0]).toBeCloseTo(0.6, 6);
    expect(clipped[1]).toBeCloseTo(0.8, 6);
    expect(l2Norm(clipped)).toBeLessThanOrEqual(1);
    expect(Array.from(normBound(Float32Array.of(3, 4), 10))).toEqual([3, 4]);
    expect(Array.from(normBound(Float32Array.of(3, 4), 5))).toEqual([3, 4]);
  });

  it("never exceeds the bound, keeps the direction, and returns a copy", () => {
    let seed = 3;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    for (let trial = 0; trial < 50; trial++) {
      const vector = Float32Array.from({ length: 1 + trial * 37 }, next);
      const bound = 0.01 + trial * 0.05;
      const clipped = normBound(vector, bound);
      expect(clipped).not.toBe(vector);
      const norm = l2Norm(clipped);
      expect(norm).toBeLessThanOrEqual(bound);
      const original = l2Norm(vector);
      if (original > bound) expect(norm).toBeGreaterThan(bound * (1 - 1e-6));
      // Same direction: clipped = s · vector for one s.
      const scale = Math.min(1, bound / original);
      let worst = 0;
      vector.forEach((value, i) => {
        worst = Math.max(worst, Math.abs((clipped[i] as number) - value * scale));
      });
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it("rejects non-finite vectors and bounds", () => {
    expect(() => normBound(Float32Array.of(1, Number.NaN), 1)).toThrow(
      expect.objectContaining({ reason: "non-finite", details: expect.objectContaining({ index: 1 }) }),
    );
    expect(() => normBound(Float32Array.of(Number.POSITIVE_INFINITY), 1)).toThrow(InvalidUpdateError);
    for (const bound of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => normBound(Float32Array.of(1), bound)).toThrow(AggregationInputError);
    }
  });
});
