import { describe, expect, it } from "vitest";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { createFedAvgAccumulator } from "../fed-avg/fed-avg-accumulator.js";
import { fedAvgSubsetUtility } from "./fed-avg-subset-utility.js";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const length = 257;
const next = random(5);
const global = Float32Array.from({ length }, () => next() * 2 - 1);
const deltas = Array.from({ length: 4 }, () => Float32Array.from({ length }, () => (next() - 0.5) * 0.2));
const numExamples = [10, 250, 3, 64];

/** global + Σ n_k Δ_k / Σ n_k over the members, in float64. */
function plainModel(members: number[]): number[] {
  const total = members.reduce((sum, k) => sum + (numExamples[k] as number), 0);
  return Array.from(global, (g, i) => {
    let sum = 0;
    for (const k of members) sum += (numExamples[k] as number) * ((deltas[k] as Float32Array)[i] as number);
    return g + (members.length === 0 ? 0 : sum / total);
  });
}

describe("fedAvgSubsetUtility", () => {
  it("evaluates global + the example-weighted mean of the coalition's deltas, and global for no one", async () => {
    const seen: Float32Array[] = [];
    const utility = fedAvgSubsetUtility({
      global,
      deltas,
      numExamples,
      evaluate: (weights) => {
        seen.push(weights);
        return weights[0] as number;
      },
    });
    for (const members of [[], [0], [1, 3], [0, 1, 2, 3], [2]]) {
      const value = await utility(members);
      const model = seen.at(-1) as Float32Array;
      expect(value).toBe(model[0]);
      const expected = plainModel(members);
      const worst = Math.max(...Array.from(model, (w, i) => Math.abs(w - (expected[i] as number))));
      expect(worst).toBeLessThanOrEqual(4e-7);
    }
    expect(seen[0]).not.toBe(global);
  });

  it("hands evaluate a fresh array each time, so changing it does not disturb later coalitions", async () => {
    const utility = fedAvgSubsetUtility({
      global,
      deltas,
      numExamples,
      evaluate: (weights) => {
        const first = weights[0] as number;
        weights.fill(1e9);
        return first;
      },
    });
    const a = await utility([]);
    const b = await utility([]);
    const c = await utility([1]);
    const d = await utility([1]);
    expect([a, b, d]).toEqual([global[0], global[0], c]);
    expect(Math.abs(c - (plainModel([1])[0] as number))).toBeLessThanOrEqual(4e-7);
    expect(global[1]).not.toBe(1e9);
    expect(deltas[1]?.[1]).not.toBe(1e9);
  });

  it("gives the full coalition exactly the model a streaming FedAvg round produces", async () => {
    let full: Float32Array | undefined;
    const utility = fedAvgSubsetUtility({
      global,
      deltas,
      numExamples,
      evaluate: async (weights) => {
        full = weights;
        return 0;
      },
    });
    await utility([0, 1, 2, 3]);
    const accumulator = createFedAvgAccumulator(length);
    for (const [k, delta] of deltas.entries()) accumulator.add(delta, numExamples[k] as number);
    const mean = accumulator.result();
    const next = Float32Array.from(global, (g, i) => g + (mean[i] as number));
    expect(full).toEqual(next);
  });

  it("checks its inputs up front and the members on each call", () => {
    const evaluate = () => 0;
    const short = new Float32Array(length - 1);
    expect(() => fedAvgSubsetUtility({ global, deltas: [short], numExamples: [1], evaluate })).toThrow(
      InvalidUpdateError,
    );
    expect(() => fedAvgSubsetUtility({ global, deltas, numExamples: [1, 2, 3, 0], evaluate })).toThrow(
      InvalidUpdateError,
    );
    const poisoned = Float32Array.from(global);
    poisoned[7] = Number.NaN;
    expect(() => fedAvgSubsetUtility({ global, deltas: [poisoned], numExamples: [1], evaluate })).toThrow(
      InvalidUpdateError,
    );
    expect(() => fedAvgSubsetUtility({ global: poisoned, deltas, numExamples, evaluate })).toThrow(InvalidUpdateError);
    expect(() => fedAvgSubsetUtility({ global, deltas, numExamples: [1, 2], evaluate })).toThrow(AggregationInputError);
    const utility = fedAvgSubsetUtility({ global, deltas, numExamples, evaluate });
    expect(() => utility([4])).toThrow(AggregationInputError);
    expect(() => utility([2, 1])).toThrow(AggregationInputError);
    expect(() => utility([1, 1])).toThrow(AggregationInputError);
  });
});
