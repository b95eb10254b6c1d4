import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { coordinateMedian } from "./coordinate-median.js";

function randomVectors(seed: number, n: number, length: number): Float32Array[] {
  const next = random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => (next() - 0.5) * 6));
}

/** Sort every coordinate's values; middle one, or the mean of the two middle ones. */
function referenceMedian(vectors: Float32Array[]): number[] {
  const n = vectors.length;
  const length = vectors[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const column = vectors.map((v) => v[i] as number).sort((a, b) => a - b);
    out.push(
      Math.fround(
        n % 2 === 1 ? (column[(n - 1) / 2] as number) : ((column[n / 2 - 1] as number) + (column[n / 2] as number)) / 2,
      ),
    );
  }
  return out;
}

describe("coordinateMedian", () => {
  it("equals the sort-per-coordinate median for odd and even n, small and large (network and quickselect paths)", () => {
    for (const n of [1, 2, 3, 4, 5, 8, 19, 20, 33, 64, 65, 101]) {
      for (const length of [1, 3, 1024, 2051]) {
        const vectors = randomVectors(n * 7919 + length, n, length);
        expect(Array.from(coordinateMedian(vectors))).toEqual(referenceMedian(vectors));
      }
    }
  });

  it("matches closed forms", () => {
    const vectors = [Float32Array.of(1, 10, -2), Float32Array.of(5, 20, -1), Float32Array.of(3, 0, 7)];
    expect(Array.from(coordinateMedian(vectors))).toEqual([3, 10, -1]);
    expect(Array.from(coordinateMedian([Float32Array.of(1, 4), Float32Array.of(2, 8)]))).toEqual([1.5, 6]);
  });

  it("returns the input when all inputs are identical, and ignores input order", () => {
    const [vector] = randomVectors(3, 1, 5000);
    const same = Array.from({ length: 9 }, () => (vector as Float32Array).slice());
    expect(Array.from(coordinateMedian(same))).toEqual(Array.from(vector as Float32Array));
    const vectors = randomVectors(4, 12, 3000);
    const shuffled = [
      vectors[5],
      vectors[0],
      vectors[11],
      vectors[3],
      vectors[9],
      vectors[1],
      vectors[2],
      vectors[4],
      vectors[6],
      vectors[7],
      vectors[8],
      vectors[10],
    ] as Float32Array[];
    expect(Array.from(coordinateMedian(shuffled))).toEqual(Array.from(coordinateMedian(vectors)));
  });

  it("rejects empty input, mismatched lengths and non-finite values, naming the vector and index", () => {
    expect(() => coordinateMedian([])).toThrow(AggregationInputError);
    expect(() => coordinateMedian([new Float32Array(5), new Float32Array(6)])).toThrow(
      expect.objectContaining({ reason: "length", details: expect.objectContaining({ update: 1 }) }),
    );
    for (const n of [5, 80]) {
      const vectors = randomVectors(5, n, 3000);
      (vectors[n - 2] as Float32Array)[2999] = Number.POSITIVE_INFINITY;
      expect(() => coordinateMedian(vectors)).toThrow(InvalidUpdateError);
      expect(() => coordinateMedian(vectors)).toThrow(
        expect.objectContaining({
          reason: "non-finite",
          details: expect.objectContaining({ update: n - 2, index: 2999 }),
        }),
      );
    }
  });
});
