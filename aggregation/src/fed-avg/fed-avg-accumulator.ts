import { instantiate, WASM_PAGE } from "@tributary/protocol";
import { firstNonFinite } from "../check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { type WeightedSumExports, weightedSumModule } from "../wasm/weighted-sum-kernel.js";

/** FedAvg over updates that arrive one at a time. */
export interface FedAvgAccumulator {
  /**
   * Adds one update. Checks it first (length, finite values, numExamples > 0) and throws `InvalidUpdateError`
   * without changing the running sum when it is bad.
   */
  add(weights: Float32Array, numExamples: number): void;
  /** The example-weighted mean of everything added so far (equal to `fedAvg` over the same updates, in order). */
  result(): Float32Array;
  /** Number of updates added. */
  readonly count: number;
  /** Sum of their example counts. */
  readonly totalExamples: number;
}

/**
 * A streaming FedAvg accumulator for vectors of `length` floats: a float64 running sum of n_k x_k plus one
 * staging copy of the incoming update, i.e. 12 bytes per parameter whatever the number of updates.
 */
export function createFedAvgAccumulator(length: number): FedAvgAccumulator {
  if (!Number.isInteger(length) || length < 1) {
    throw new AggregationInputError(`createFedAvgAccumulator: length must be a positive integer, got ${length}`, {
      length,
    });
  }
  const padded = (length + 3) & ~3;
  const accOffset = 0;
  const stagingOffset = padded * 8;
  const weightOffset = stagingOffset + padded * 4;
  const bytes = weightOffset + 16;
  if (bytes > 65_536 * WASM_PAGE) {
    throw new AggregationInputError(`createFedAvgAccumulator: ${length} floats do not fit in 4 GiB`, { length });
  }
  const { memory, exports } = instantiate(weightedSumModule(), bytes);
  const kernel = exports as unknown as WeightedSumExports;
  const f32 = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const staging = stagingOffset >> 2;
  let count = 0;
  let totalExamples = 0;

  return {
    add(weights: Float32Array, numExamples: number): void {
      if (!(weights instanceof Float32Array) || weights.length !== length) {
        const actual = weights instanceof Float32Array ? weights.length : typeof weights;
        throw new InvalidUpdateError("length", `fedAvg accumulator: update has ${actual} values, expected ${length}`, {
          update: count,
          expected: length,
          actual,
        });
      }
      if (typeof numExamples !== "number" || !Number.isFinite(numExamples) || numExamples <= 0) {
        throw new InvalidUpdateError("num-examples", `fedAvg accumulator: numExamples ${numExamples}`, {
          update: count,
          numExamples: String(numExamples),
        });
      }
      const total = totalExamples + numExamples;
      if (!Number.isFinite(total)) {
        throw new InvalidUpdateError("num-examples", `fedAvg accumulator: example counts overflow`, { update: count });
      }
      f32.set(weights, staging);
      if (kernel.check(stagingOffset, length) === 0) {
        // Padding lanes are always zero, so the culprit is in the update itself.
        const index = firstNonFinite(weights);
        throw new InvalidUpdateError(
          "non-finite",
          `fedAvg accumulator: update ${count} has ${weights[index]} at index ${index}`,
          { update: count, index, value: String(weights[index]) },
        );
      }
      f64[weightOffset >> 3] = numExamples;
      (count === 0 ? kernel.set1 : kernel.add1)?.(accOffset, stagingOffset, length, weightOffset);
      count++;
      totalExamples = total;
    },

    result(): Float32Array {
      if (count === 0) throw new AggregationInputError("fedAvg accumulator: no updates added", { count });
      kernel.finish(accOffset, stagingOffset, length, totalExamples);
      const out = f32.slice(staging, staging + length);
      f32.fill(0, staging, staging + padded);
      return out;
    },

    get count(): number {
      return count;
    },

    get totalExamples(): number {
      return totalExamples;
    },
  };
}
