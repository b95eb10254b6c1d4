import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { fedAvg } from "./fed-avg.js";
import { createFedAvgAccumulator } from "./fed-avg-accumulator.js";

interface Update {
  weights: Float32Array;
  numExamples: number;
}

function randomUpdates(seed: number, count: number, length: number): Update[] {
  const next = random(seed);
  return Array.from({ length: count }, () => ({
    weights: Float32Array.from({ length }, () => (next() - 0.5) * 10),
    numExamples: 1 + Math.floor(next() * 500),
  }));
}

/** Plain FedAvg reference: float64 sum of n_k x_k in arrival order, divided by sum n_k. */
function referenceFedAvg(updates: ReadonlyArray<{ weights: Float32Array; numExamples: number }>): number[] {
  const length = updates[0]?.weights.length ?? 0;
  const sum = new Float64Array(length);
  let total = 0;
  for (const { weights, numExamples } of updates) {
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + numExamples * (weights[i] as number);
    total += numExamples;
  }
  return Array.from(Float32Array.from(sum, (value) => value / total));
}

describe("createFedAvgAccumulator", () => {
  it("equals fedAvg over the same updates, and the plain float64 reference", () => {
    for (const [count, length] of [
      [1, 1],
      [5, 7],
      [13, 10_003],
    ] as const) {
      const updates = randomUpdates(count + length, count, length);
      const accumulator = createFedAvgAccumulator(length);
      for (const { weights, numExamples } of updates) accumulator.add(weights, numExamples);
      expect(accumulator.count).toBe(count);
      expect(accumulator.totalExamples).toBe(updates.reduce((total, update) => total + update.numExamples, 0));
      const streamed = Array.from(accumulator.result());
      expect(streamed).toEqual(Array.from(fedAvg(updates)));
      expect(streamed).toEqual(referenceFedAvg(updates));
    }
  });

  it("keeps accumulating after result() and does not hold on to the caller's arrays", () => {
    const updates = randomUpdates(9, 6, 300);
    const accumulator = createFedAvgAccumulator(300);
    const reused = new Float32Array(300);
    updates.forEach(({ weights, numExamples }, index) => {
      reused.set(weights);
      accumulator.add(reused, numExamples);
      reused.fill(1234);
      expect(Array.from(accumulator.result())).toEqual(referenceFedAvg(updates.slice(0, index + 1)));
    });
  });

  it("rejects a bad update without changing the running sum", () => {
    const [first, second, third] = randomUpdates(4, 3, 50) as [Update, Update, Update];
    const accumulator = createFedAvgAccumulator(50);
    accumulator.add(first.weights, first.numExamples);
    const poisoned = second.weights.slice();
    poisoned[17] = Number.NaN;
    expect(() => accumulator.add(poisoned, 10)).toThrow(
      expect.objectContaining({ reason: "non-finite", details: expect.objectContaining({ index: 17 }) }),
    );
    poisoned[17] = Number.NEGATIVE_INFINITY;
    expect(() => accumulator.add(poisoned, 10)).toThrow(InvalidUpdateError);
    expect(() => accumulator.add(new Float32Array(49), 1)).toThrow(expect.objectContaining({ reason: "length" }));
    expect(() => accumulator.add(new Float32Array(50), 0)).toThrow(expect.objectContaining({ reason: "num-examples" }));
    accumulator.add(third.weights, third.numExamples);
    expect(accumulator.count).toBe(2);
    expect(Array.from(accumulator.result())).toEqual(referenceFedAvg([first, third]));
  });

  it("has no result before the first update, and needs a positive length", () => {
    expect(() => createFedAvgAccumulator(10).result()).toThrow(AggregationInputError);
    expect(() => createFedAvgAccumulator(0)).toThrow(AggregationInputError);
    expect(() => createFedAvgAccumulator(2.5)).toThrow(AggregationInputError);
  });
});
