import { describe, expect, it } from "vitest";
import { randomVectors } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { krum, multiKrum } from "./krum.js";

/** True when a comes before b comparing values one by one (the rules' documented tie-break). */
function lexicographicallyBefore(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  const x = Array.from(a ?? []);
  const y = Array.from(b ?? []);
  const at = x.findIndex((value, c) => value !== y[c]);
  return at >= 0 && (x[at] as number) < (y[at] as number);
}

/**
 * Blanchard et al.: score(i) = sum of the n − f − 2 smallest squared distances to the others; best first.
 * Equal scores (two mutually nearest vectors when n − f − 2 = 1) go to the lexicographically smaller vector.
 */
function referenceKrumOrder(vectors: Float32Array[], f: number): number[] {
  const n = vectors.length;
  const distance = (a: Float32Array, b: Float32Array) =>
    a.reduce((sum, value, c) => sum + (value - (b[c] as number)) ** 2, 0);
  const scores = vectors.map((vi, i) => {
    const others = vectors.flatMap((vj, j) => (j === i ? [] : [distance(vi, vj)])).sort((a, b) => a - b);
    return others.slice(0, n - f - 2).reduce((a, b) => a + b, 0);
  });
  return scores
    .map((score, index) => ({ score, index }))
    .sort(
      (a, b) =>
        a.score - b.score ||
        (lexicographicallyBefore(vectors[a.index], vectors[b.index]) ? -1 : 0) ||
        (lexicographicallyBefore(vectors[b.index], vectors[a.index]) ? 1 : 0) ||
        a.index - b.index,
    )
    .map((entry) => entry.index);
}

describe("krum and multiKrum", () => {
  it("select what the definition selects and return that vector / the mean of the m best", () => {
    for (const [n, f, length] of [
      [3, 0, 10],
      [7, 2, 1000],
      [12, 3, 5003],
      [25, 11, 300],
    ] as const) {
      const vectors = randomVectors(n * 13 + f, n, length);
      const order = referenceKrumOrder(vectors, f);
      const single = krum(vectors, f);
      expect(single.selected).toEqual(order.slice(0, 1));
      expect(Array.from(single.aggregate)).toEqual(Array.from(vectors[order[0] as number] as Float32Array));
      const m = n - f;
      const multi = multiKrum(vectors, f, m);
      expect(multi.selected).toEqual(order.slice(0, m));
      const mean = new Float64Array(length);
      for (const index of multi.selected) {
        (vectors[index] as Float32Array).forEach((value, c) => {
          mean[c] = (mean[c] as number) + value;
        });
      }
      expect(Array.from(multi.aggregate)).toEqual(Array.from(Float32Array.from(mean, (sum) => sum / m)));
    }
  });

  it("picks a member of the tight cluster, never the outlier, and returns identical inputs unchanged", () => {
    const vectors = [
      Float32Array.of(0, 0),
      Float32Array.of(0.1, 0),
      Float32Array.of(0, 0.1),
      Float32Array.of(0.1, 0.1),
      Float32Array.of(50, -50),
    ];
    const { selected } = krum(vectors, 1);
    expect(selected[0]).not.toBe(4);
    expect(multiKrum(vectors, 1, 4).selected.sort()).toEqual([0, 1, 2, 3]);
    const same = Array.from({ length: 5 }, () => Float32Array.of(1.5, -2, 3));
    expect(Array.from(krum(same, 1).aggregate)).toEqual([1.5, -2, 3]);
    expect(Array.from(multiKrum(same, 1, 3).aggregate)).toEqual([1.5, -2, 3]);
  });

  it("does not depend on input order (the same vector wins)", () => {
    const vectors = randomVectors(99, 9, 700);
    const permutation = [4, 8, 0, 3, 7, 1, 6, 2, 5];
    const permuted = permutation.map((index) => vectors[index] as Float32Array);
    const original = krum(vectors, 2).selected[0] as number;
    const again = krum(permuted, 2).selected[0] as number;
    expect(permutation[again]).toBe(original);
  });

  it("handles values whose float32 difference overflows", () => {
    const vectors = [Float32Array.of(3e38, 0), Float32Array.of(-3e38, 0), Float32Array.of(0, 0), Float32Array.of(1, 0)];
    expect(krum(vectors, 0).selected).toEqual([2]);
  });

  it("rejects f too large for n, a bad m, and non-finite values", () => {
    const vectors = randomVectors(1, 6, 20);
    expect(() => krum(vectors, 2)).toThrow(AggregationInputError); // needs n ≥ 7
    expect(() => krum(vectors.slice(0, 2), 0)).toThrow(AggregationInputError);
    expect(() => krum(vectors, -1)).toThrow(AggregationInputError);
    expect(() => multiKrum(vectors, 1, 0)).toThrow(AggregationInputError);
    expect(() => multiKrum(vectors, 1, 7)).toThrow(AggregationInputError);
    (vectors[3] as Float32Array)[11] = Number.NaN;
    expect(() => krum(vectors, 1)).toThrow(InvalidUpdateError);
    expect(() => multiKrum(vectors, 1, 3)).toThrow(
      expect.objectContaining({ reason: "non-finite", details: expect.objectContaining({ update: 3, index: 11 }) }),
    );
  });
});
