import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { AggregationInputError } from "../errors.js";
import { trimmedMean } from "./trimmed-mean.js";

function randomVectors(seed: number, n: number, length: number): Float32Array[] {
  const next = random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => (next() - 0.5) * 6));
}

/** Sort each coordinate, drop `trim` at each end, average the rest (ascending order, float64). */
function referenceTrimmedMean(vectors: Float32Array[], trim: number): number[] {
  const n = vectors.length;
  const length = vectors[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const column = vectors.map((v) => v[i] as number).sort((a, b) => a - b);
    let sum = 0;
    for (let k = trim; k < n - trim; k++) sum += column[k] as number;
    out.push(Math.fround(sum / (n - 2 * trim)));
  }
  return out;
}

describe("trimmedMean", () => {
  it("equals sort, trim, average per coordinate (exactly with the network, to rounding beyond 64 inputs)", () => {
    for (const [n, trim] of [
      [1, 0],
      [3, 1],
      [4, 1],
      [10, 2],
      [20, 4],
      [21, 10],
      [64, 20],
    ] as const) {
      const vectors = randomVectors(n * 101 + trim, n, 1027);
      expect(Array.from(trimmedMean(vectors, trim))).toEqual(referenceTrimmedMean(vectors, trim));
    }
    const many = randomVectors(77, 90, 600);
    const got = trimmedMean(many, 30);
    referenceTrimmedMean(many, 30).forEach((expected, i) => {
      expect(got[i]).toBeCloseTo(expected, 6);
    });
  });

  it("is the plain mean with trim 0 and the median when only one value is left", () => {
    const vectors = [Float32Array.of(1, -3), Float32Array.of(2, 5), Float32Array.of(6, 1), Float32Array.of(3, 1)];
    expect(Array.from(trimmedMean(vectors, 0))).toEqual([3, 1]);
    // Drop one value at each end: (2 + 3) / 2 = 2.5 and (1 + 1) / 2 = 1.
    expect(Array.from(trimmedMean(vectors, 1))).toEqual([2.5, 1]);
    const five = [...vectors, Float32Array.of(100, -100)];
    expect(Array.from(trimmedMean(five, 2))).toEqual([3, 1]);
  });

  it("does not depend on input order", () => {
    const vectors = randomVectors(8, 15, 2000);
    const reversed = vectors.slice().reverse();
    expect(Array.from(trimmedMean(reversed, 5))).toEqual(Array.from(trimmedMean(vectors, 5)));
  });

  it("rejects a trim that leaves nothing to average", () => {
    const vectors = randomVectors(1, 6, 10);
    expect(() => trimmedMean(vectors, 3)).toThrow(AggregationInputError);
    expect(() => trimmedMean(vectors, -1)).toThrow(AggregationInputError);
    expect(() => trimmedMean(vectors, 1.5)).toThrow(AggregationInputError);
    expect(() => trimmedMean([], 0)).toThrow(AggregationInputError);
  });
});
