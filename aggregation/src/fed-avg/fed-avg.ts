import { instantiate } from "@tributary/protocol";
import { nonFiniteError, requireVectors } from "../check-vectors.js";
import { InvalidUpdateError } from "../errors.js";
import {
  WEIGHTED_SUM_BLOCK,
  WEIGHTED_SUM_GROUP,
  WEIGHTED_SUM_LAYOUT,
  type WeightedSumExports,
  weightedSumModule,
} from "../wasm/weighted-sum-kernel.js";

/** One trainer's model (a flat vector in the job's layout) and the number of examples it trained on. */
export interface WeightedUpdate {
  readonly weights: Float32Array;
  readonly numExamples: number;
}

interface Kernel {
  readonly exports: WeightedSumExports;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

let kernel: Kernel | undefined;

/** The weighted-sum kernel over its private memory (instantiated once). */
function weightedSumKernel(): Kernel {
  if (kernel === undefined) {
    const { memory, exports } = instantiate(weightedSumModule(), WEIGHTED_SUM_LAYOUT.bytes);
    kernel = {
      exports: exports as unknown as WeightedSumExports,
      f32: new Float32Array(memory.buffer),
      f64: new Float64Array(memory.buffer),
    };
  }
  return kernel;
}

function exampleWeights(
  rule: string,
  updates: ReadonlyArray<WeightedUpdate>,
): { weights: Float64Array; total: number } {
  const weights = new Float64Array(updates.length);
  let total = 0;
  updates.forEach((update, index) => {
    const n = update.numExamples;
    if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) {
      throw new InvalidUpdateError("num-examples", `${rule}: update ${index} has numExamples ${n}`, {
        rule,
        update: index,
        numExamples: String(n),
      });
    }
    weights[index] = n;
    total += n;
  });
  if (!Number.isFinite(total)) {
    throw new InvalidUpdateError("num-examples", `${rule}: the example counts sum to ${total}`, { rule });
  }
  return { weights, total };
}

/**
 * out[i] = float32(sum_k weights[k] * inputs[k][i] / total), one cache block at a time: each input's block is
 * copied into a slot of the kernel's memory, groups of slots are combined into the float64 block, then the
 * block is divided and rounded. Returns false when some output is NaN or infinite (exactly when an input is).
 */
function weightedSum(
  inputs: readonly Float32Array[],
  weights: Float64Array,
  total: number,
  out: Float32Array,
): boolean {
  const { exports, f32, f64 } = weightedSumKernel();
  const { finish, check } = exports;
  const layout = WEIGHTED_SUM_LAYOUT;
  const slot0 = layout.inputs >> 2;
  const weight0 = layout.weights >> 3;
  const out0 = layout.out >> 2;
  let finite = true;
  for (let b0 = 0; b0 < out.length; b0 += WEIGHTED_SUM_BLOCK) {
    const b1 = Math.min(out.length, b0 + WEIGHTED_SUM_BLOCK);
    const n = b1 - b0;
    for (let k = 0; k < inputs.length; k += WEIGHTED_SUM_GROUP) {
      const g = Math.min(WEIGHTED_SUM_GROUP, inputs.length - k);
      for (let j = 0; j < g; j++) {
        f32.set((inputs[k + j] as Float32Array).subarray(b0, b1), slot0 + j * WEIGHTED_SUM_BLOCK);
        f64[weight0 + j] = weights[k + j] as number;
      }
      const combine: `set${number}` | `add${number}` = k === 0 ? `set${g}` : `add${g}`;
      exports[combine]?.(layout.acc, layout.inputs, n, layout.weights);
    }
    finish(layout.acc, layout.out, n, total);
    // Lanes past n (to the next multiple of 4) hold leftovers; zero them before the finiteness check.
    f32.fill(0, out0 + n, out0 + ((n + 3) & ~3));
    if (check(layout.out, n) === 0) finite = false;
    out.set(f32.subarray(out0, out0 + n), b0);
  }
  return finite;
}

/**
 * FedAvg (McMahan et al. 2017): the example-weighted mean sum_k n_k x_k / sum_k n_k of the updates' weights,
 * accumulated in float64 (in input order, so it equals adding the updates one at a time) and rounded to float32.
 *
 * Cache-blocked SIMD kernel: inputs are copied block by block into the kernel's memory. Throws
 * `InvalidUpdateError` for a length mismatch, a bad `numExamples`, or a NaN/±Infinity (naming the update and
 * index).
 */
export function fedAvg(updates: ReadonlyArray<WeightedUpdate>): Float32Array {
  const rule = "fedAvg";
  const inputs = (Array.isArray(updates) ? updates.map((update) => update?.weights) : []) as Float32Array[];
  const length = requireVectors(rule, inputs);
  const { weights, total } = exampleWeights(rule, updates);
  const result = new Float32Array(length);
  if (!weightedSum(inputs, weights, total, result)) throw nonFiniteError(rule, inputs);
  return result;
}
