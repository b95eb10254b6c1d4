import { nonFiniteError } from "../check-vectors.js";
import {
  ORDER_STAT_BLOCK,
  ORDER_STAT_MAX_ROWS,
  type OrderStatisticKernel,
  type OrderStatisticSpec,
  orderStatisticKernel,
} from "../wasm/order-statistics-kernel.js";
import { selectInPlace } from "./quickselect.js";

const kernels = new Map<string, OrderStatisticKernel>();
const MAX_CACHED_KERNELS = 32;

function cachedKernel(spec: OrderStatisticSpec): OrderStatisticKernel {
  const key = JSON.stringify(spec);
  let kernel = kernels.get(key);
  if (kernel === undefined) {
    if (kernels.size >= MAX_CACHED_KERNELS) kernels.delete(kernels.keys().next().value as string);
    kernel = orderStatisticKernel(spec);
    kernels.set(key, kernel);
  }
  return kernel;
}

/**
 * Applies a per-coordinate order statistic to `vectors` (already checked: n = spec.n vectors of `length`).
 * Up to ORDER_STAT_MAX_ROWS vectors: blocks of ORDER_STAT_BLOCK coordinates are copied into the kernel's memory
 * (row-major, cache-resident) and run through the SIMD selection network. Beyond that: quickselect per
 * coordinate. Throws `InvalidUpdateError` naming the first NaN/±Infinity.
 */
export function orderStatistic(
  rule: string,
  vectors: ReadonlyArray<Float32Array>,
  length: number,
  spec: OrderStatisticSpec,
): Float32Array {
  const out = new Float32Array(length);
  if (spec.n > ORDER_STAT_MAX_ROWS) {
    scalarOrderStatistic(rule, vectors, length, spec, out);
    return out;
  }
  const kernel = cachedKernel(spec);
  const f32 = new Float32Array(kernel.memory.buffer);
  const out0 = kernel.outOffset >> 2;
  for (let b0 = 0; b0 < length; b0 += ORDER_STAT_BLOCK) {
    const count = Math.min(ORDER_STAT_BLOCK, length - b0);
    const padded = (count + 3) & ~3;
    for (let k = 0; k < spec.n; k++) {
      const row = k * ORDER_STAT_BLOCK;
      f32.set((vectors[k] as Float32Array).subarray(b0, b0 + count), row);
      if (padded !== count) f32.fill(0, row + count, row + padded);
    }
    if (kernel.run(count) === 0) throw nonFiniteError(rule, vectors);
    out.set(f32.subarray(out0, out0 + count), b0);
  }
  return out;
}

function scalarOrderStatistic(
  rule: string,
  vectors: ReadonlyArray<Float32Array>,
  length: number,
  spec: OrderStatisticSpec,
  out: Float32Array,
): void {
  const n = spec.n;
  const column = new Float64Array(n);
  for (let i = 0; i < length; i++) {
    for (let k = 0; k < n; k++) {
      const value = (vectors[k] as Float32Array)[i] as number;
      if (value - value !== 0) throw nonFiniteError(rule, vectors);
      column[k] = value;
    }
    switch (spec.kind) {
      case "median":
        out[i] = medianInPlace(column, n);
        break;
      case "trimmed": {
        const { trim } = spec;
        selectInPlace(column, 0, n, trim);
        selectInPlace(column, trim, n, n - trim - 1);
        let sum = 0;
        for (let k = trim; k < n - trim; k++) sum += column[k] as number;
        out[i] = sum / (n - 2 * trim);
        break;
      }
      case "bulyan":
        out[i] = bulyanCoordinate(column, spec.f);
        break;
    }
  }
}

function medianInPlace(column: Float64Array, n: number): number {
  const upper = n >> 1;
  selectInPlace(column, 0, n, upper);
  const upperValue = column[upper] as number;
  if (n % 2 === 1) return upperValue;
  let lowerValue = column[0] as number;
  for (let k = 1; k < upper; k++) lowerValue = Math.max(lowerValue, column[k] as number);
  return (lowerValue + upperValue) / 2;
}

/** Mean of the β = n − 2f values closest to the median of `column` (sorted here; ties keep the lowest window). */
function bulyanCoordinate(column: Float64Array, f: number): number {
  column.sort();
  const n = column.length;
  const beta = n - 2 * f;
  const med =
    n % 2 === 1
      ? (column[(n - 1) / 2] as number)
      : Math.fround(((column[n / 2 - 1] as number) + (column[n / 2] as number)) / 2);
  let bestStart = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let s = 0; s <= 2 * f; s++) {
    const cost = Math.max(med - (column[s] as number), (column[s + beta - 1] as number) - med);
    if (cost < bestCost) {
      bestCost = cost;
      bestStart = s;
    }
  }
  let sum = 0;
  for (let k = bestStart; k < bestStart + beta; k++) sum += column[k] as number;
  return sum / beta;
}
