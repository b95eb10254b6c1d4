import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { fedAvg, type WeightedUpdate } from "./fed-avg.js";

function randomUpdates(seed: number, count: number, length: number): WeightedUpdate[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const weights = new Float32Array(length);
    for (let i = 0; i < length; i++) weights[i] = (next() - 0.5) * 8;
    return { weights, numExamples: 1 + Math.floor(next() * 1000) };
  });
}

/** Plain FedAvg: sum n_k x_k in float64, adding the updates in order, then divide by sum n_k. */
function referenceFedAvg(updates: readonly WeightedUpdate[]): Float32Array {
  const length = updates[0]?.weights.length ?? 0;
  const sum = new Float64Array(length);
  let total = 0;
  for (const { weights, numExamples } of updates) {
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + numExamples * (weights[i] as number);
    total += numExamples;
  }
  return Float32Array.from(sum, (value) => value / total);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe("fedAvg", () => {
  it("equals the float64 example-weighted mean, rounded once, for sizes around the block and group edges", () => {
    const cases: [number, number][] = [
      [1, 1],
      [1, 5],
      [3, 4],
      [8, 8191],
      [9, 8193],
      [17, 20_000],
    ];
    for (const [count, length] of cases) {
      const updates = randomUpdates(count * 31 + length, count, length);
      expect(Array.from(fedAvg(updates))).toEqual(Array.from(referenceFedAvg(updates)));
    }
  });

  it("matches closed forms", () => {
    const a = Float32Array.of(1, 2, -4);
    const b = Float32Array.of(3, 4, 4);
    expect(
      Array.from(
        fedAvg([
          { weights: a, numExamples: 5 },
          { weights: b, numExamples: 5 },
        ]),
      ),
    ).toEqual([2, 3, 0]);
    // (1·1 + 3·3) / 4 = 2.5, (2·1 + 4·3) / 4 = 3.5, (−4·1 + 4·3) / 4 = 2
    expect(
      Array.from(
        fedAvg([
          { weights: a, numExamples: 1 },
          { weights: b, numExamples: 3 },
        ]),
      ),
    ).toEqual([2.5, 3.5, 2]);
  });

  it("returns the input when every update is identical", () => {
    const [first] = randomUpdates(7, 1, 1000);
    const weights = first?.weights as Float32Array;
    const updates = [3, 10, 250, 7].map((numExamples) => ({ weights: weights.slice(), numExamples }));
    expect(Array.from(fedAvg(updates))).toEqual(Array.from(weights));
  });

  it("does not depend on the order of the updates (up to float64 rounding)", () => {
    const updates = randomUpdates(11, 12, 3000);
    const forward = fedAvg(updates);
    const backward = fedAvg([...updates].reverse());
    expect(maxAbsDifference(forward, backward)).toBeLessThanOrEqual(4 * 2 ** -23);
  });

  it("does not modify its inputs", () => {
    const updates = randomUpdates(5, 4, 100);
    const copies = updates.map((update) => update.weights.slice());
    fedAvg(updates);
    updates.forEach((update, k) => {
      expect(Array.from(update.weights)).toEqual(Array.from(copies[k] as Float32Array));
    });
  });

  it("rejects what it cannot average, naming the problem", () => {
    expect(() => fedAvg([])).toThrow(AggregationInputError);
    const good = { weights: new Float32Array(4), numExamples: 1 };
    const short = { weights: new Float32Array(3), numExamples: 1 };
    expect(() => fedAvg([good, short])).toThrow(expect.objectContaining({ reason: "length" }));
    for (const numExamples of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => fedAvg([good, { weights: new Float32Array(4), numExamples }])).toThrow(
        expect.objectContaining({ reason: "num-examples", details: expect.objectContaining({ update: 1 }) }),
      );
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const updates = randomUpdates(3, 3, 10_000);
      (updates[2] as WeightedUpdate).weights[9_001] = bad;
      expect(() => fedAvg(updates)).toThrow(InvalidUpdateError);
      expect(() => fedAvg(updates)).toThrow(
        expect.objectContaining({
          reason: "non-finite",
          details: expect.objectContaining({ update: 2, index: 9_001 }),
        }),
      );
    }
  });
});
