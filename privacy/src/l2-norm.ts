/** Euclidean norm of `vector[start, end)`, accumulated in float64 (four partial sums, no allocation). */
export function l2Norm(vector: Float32Array | Float64Array, start = 0, end = vector.length): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const a = vector[i] as number;
    const b = vector[i + 1] as number;
    const c = vector[i + 2] as number;
    const d = vector[i + 3] as number;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < end; i++) {
    const a = vector[i] as number;
    s0 += a * a;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}
