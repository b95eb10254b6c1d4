import { describe, expect, it } from "vitest";
import { selectInPlace } from "./quickselect.js";

describe("selectInPlace", () => {
  it("places the rank-k value at k with smaller values before and larger after", () => {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(next() * 40);
      // Few distinct values, so duplicates are common.
      const values = Float64Array.from({ length: n }, () => Math.floor(next() * 7) - 3);
      const sorted = Array.from(values).sort((a, b) => a - b);
      const k = Math.floor(next() * n);
      selectInPlace(values, 0, n, k);
      expect(values[k]).toBe(sorted[k]);
      for (let i = 0; i < k; i++) expect(values[i] as number).toBeLessThanOrEqual(values[k] as number);
      for (let i = k + 1; i < n; i++) expect(values[i] as number).toBeGreaterThanOrEqual(values[k] as number);
      expect(Array.from(values).sort((a, b) => a - b)).toEqual(sorted);
    }
  });
});
