import { describe, expect, it } from "vitest";
import { randomVectors } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { bulyan } from "./bulyan.js";

/** True when a comes before b comparing values one by one (the rules' documented tie-break). */
function lexicographicallyBefore(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  const x = Array.from(a ?? []);
  const y = Array.from(b ?? []);
  const at = x.findIndex((value, c) => value !== y[c]);
  return at >= 0 && (x[at] as number) < (y[at] as number);
}

/**
 * El Mhamdi et al. (2018), written plainly: θ = n − 2f rounds of Krum over the not-yet-selected vectors, then
 * per coordinate the mean of the β = θ − 2f selected values closest to their median.
 */
function referenceBulyan(vectors: Float32Array[], f: number): { selected: number[]; aggregate: number[] } {
  const n = vectors.length;
  const distance = (i: number, j: number) =>
    (vectors[i] as Float32Array).reduce(
      (sum, value, c) => sum + (value - ((vectors[j] as Float32Array)[c] as number)) ** 2,
      0,
    );
  const remaining = vectors.map((_, index) => index);
  const selected: number[] = [];
  while (selected.length < n - 2 * f) {
    const k = Math.min(remaining.length - 1, Math.max(1, remaining.length - f - 2));
    let best = -1;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const i of remaining) {
      const nearest = remaining
        .filter((j) => j !== i)
        .map((j) => distance(i, j))
        .sort((a, b) => a - b);
      const score = nearest.slice(0, k).reduce((a, b) => a + b, 0);
      // Ties (frequent once k = 1: mutual nearest neighbours) go to the lexicographically smaller vector.
      if (score < bestScore || (score === bestScore && lexicographicallyBefore(vectors[i], vectors[best]))) {
        bestScore = score;
        best = i;
      }
    }
    selected.push(best);
    remaining.splice(remaining.indexOf(best), 1);
  }
  const theta = selected.length;
  const beta = theta - 2 * f;
  const aggregate: number[] = [];
  for (let c = 0; c < (vectors[0]?.length ?? 0); c++) {
    const values = selected.map((index) => (vectors[index] as Float32Array)[c] as number).sort((a, b) => a - b);
    const median =
      theta % 2 === 1
        ? (values[(theta - 1) / 2] as number)
        : ((values[theta / 2 - 1] as number) + (values[theta / 2] as number)) / 2;
    const closest = values
      .slice()
      .sort((a, b) => Math.abs(a - median) - Math.abs(b - median))
      .slice(0, beta);
    aggregate.push(closest.reduce((a, b) => a + b, 0) / beta);
  }
  return { selected, aggregate };
}

describe("bulyan", () => {
  it("matches the plain definition: the same selection and the same per-coordinate means (network and scalar paths)", () => {
    for (const [n, f, length] of [
      [3, 0, 50],
      [7, 1, 400],
      [12, 2, 1029],
      [19, 4, 300],
      [70, 2, 40],
    ] as const) {
      const vectors = randomVectors(n * 17 + f, n, length);
      const expected = referenceBulyan(vectors, f);
      const got = bulyan(vectors, f);
      expect(got.selected).toEqual(expected.selected);
      expected.aggregate.forEach((value, c) => {
        expect(got.aggregate[c]).toBeCloseTo(value, 6);
      });
    }
  });

  it("returns identical inputs unchanged and is the plain mean when f = 0", () => {
    const same = Array.from({ length: 7 }, () => Float32Array.of(0.25, -8, 3));
    expect(Array.from(bulyan(same, 1).aggregate)).toEqual([0.25, -8, 3]);
    const vectors = [Float32Array.of(1, 2), Float32Array.of(2, 4), Float32Array.of(6, 0)];
    expect(Array.from(bulyan(vectors, 0).aggregate)).toEqual([3, 2]);
  });

  it("does not depend on input order", () => {
    const vectors = randomVectors(31, 11, 500);
    const permutation = [6, 2, 9, 0, 10, 4, 1, 8, 3, 7, 5];
    const original = bulyan(vectors, 2);
    const permuted = bulyan(
      permutation.map((index) => vectors[index] as Float32Array),
      2,
    );
    expect(permuted.selected.map((index) => permutation[index]).sort()).toEqual(original.selected.slice().sort());
    expect(Array.from(permuted.aggregate)).toEqual(Array.from(original.aggregate));
  });

  it("rejects n < 4f + 3 and non-finite values", () => {
    const vectors = randomVectors(2, 10, 30);
    expect(() => bulyan(vectors, 2)).toThrow(AggregationInputError);
    expect(() => bulyan(vectors, -1)).toThrow(AggregationInputError);
    (vectors[9] as Float32Array)[0] = Number.NEGATIVE_INFINITY;
    expect(() => bulyan(vectors, 1)).toThrow(InvalidUpdateError);
  });
});
