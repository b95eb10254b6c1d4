import { instantiate } from "@tributary/protocol";
import { firstNonFinite, nonFiniteError } from "../check-vectors.js";
import { type SquaredDistanceExports, squaredDistanceModule } from "../wasm/squared-distance-kernel.js";

/** Bytes of rows kept per block: n rows × block floats stay in L2. */
const ROWS_BYTES = 256 * 1024;

/**
 * Squared Euclidean distances between all pairs of `vectors` (n vectors of `length`), as a symmetric n × n
 * float64 matrix with a zero diagonal. Blocked: a slice of every vector is copied into the kernel's memory and
 * all pairs are accumulated over it before the next slice. Throws `InvalidUpdateError` on NaN/±Infinity.
 */
export function pairwiseSquaredDistances(
  rule: string,
  vectors: ReadonlyArray<Float32Array>,
  length: number,
): Float64Array {
  const n = vectors.length;
  const block = Math.max(64, Math.floor(ROWS_BYTES / 4 / n / 8) * 8);
  const stride = block * 4;
  const dOffset = n * stride;
  const { memory, exports } = instantiate(squaredDistanceModule(), dOffset + n * n * 8);
  const kernel = exports as unknown as SquaredDistanceExports;
  const f32 = new Float32Array(memory.buffer);
  for (let b0 = 0; b0 < length; b0 += block) {
    const count = Math.min(block, length - b0);
    const padded = (count + 7) & ~7;
    for (let k = 0; k < n; k++) {
      const row = k * block;
      f32.set((vectors[k] as Float32Array).subarray(b0, b0 + count), row);
      if (padded !== count) f32.fill(0, row + count, row + padded);
    }
    kernel.pairs(n, stride, padded, dOffset);
  }
  const upper = new Float64Array(memory.buffer, dOffset, n * n);
  const distances = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let value = upper[i * n + j] as number;
      if (!Number.isFinite(value)) {
        // Either an input is NaN/±Infinity, or a float32 difference of huge values overflowed: redo it in float64.
        const a = vectors[i] as Float32Array;
        const b = vectors[j] as Float32Array;
        if (firstNonFinite(a) >= 0 || firstNonFinite(b) >= 0) throw nonFiniteError(rule, vectors);
        value = exactSquaredDistance(a, b);
      }
      distances[i * n + j] = value;
      distances[j * n + i] = value;
    }
  }
  return distances;
}

function exactSquaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let c = 0; c < a.length; c++) {
    const delta = (a[c] as number) - (b[c] as number);
    sum += delta * delta;
  }
  return sum;
}
