import { describe, expect, it } from "vitest";
import { pairwiseSquaredDistances } from "./pairwise-distances.js";

describe("pairwiseSquaredDistances", () => {
  it("equals sum (x − y)² for every pair, symmetric with a zero diagonal, across block edges", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    for (const [n, length] of [
      [2, 1],
      [5, 7],
      [9, 5000],
      [40, 1700],
    ] as const) {
      const vectors = Array.from({ length: n }, () => Float32Array.from({ length }, next));
      const distances = pairwiseSquaredDistances("test", vectors, length);
      for (let i = 0; i < n; i++) {
        expect(distances[i * n + i]).toBe(0);
        for (let j = 0; j < n; j++) {
          let expected = 0;
          for (let c = 0; c < length; c++) {
            expected +=
              (((vectors[i] as Float32Array)[c] as number) - ((vectors[j] as Float32Array)[c] as number)) ** 2;
          }
          const got = distances[i * n + j] as number;
          expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-6 * expected);
          expect(got).toBe(distances[j * n + i]);
        }
      }
    }
  });

  it("is exact where the float32 difference would overflow", () => {
    const distances = pairwiseSquaredDistances("test", [Float32Array.of(3e38, 1), Float32Array.of(-3e38, 1)], 2);
    const a = Math.fround(3e38);
    expect(distances[1]).toBe((2 * a) ** 2);
  });
});
