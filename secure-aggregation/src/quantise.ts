import { SECAGG_SUM_BOUND } from "@tributary/protocol";

/**
 * Fixed-point quantisation of an update into Z_{2^32}, so that masks cancel exactly: each coordinate is clipped to
 * [−clip, clip], multiplied by `scale` and rounded to the nearest integer (`Math.round`: halves up), then stored as
 * its two's-complement 32-bit word. The per-coordinate error is at most 1/(2·scale); summing m updates and
 * decoding the sum as a signed 32-bit integer is exact as long as m · (clip · scale + 1/2) ≤ 2^31 − 1
 * (`checkQuantisationFits`), so the decoded sum differs from the sum of the clipped updates by at most
 * m/(2·scale) per coordinate.
 */
export function quantise(
  update: Float32Array,
  clip: number,
  scale: number,
  out = new Uint32Array(update.length),
): Uint32Array {
  for (let i = 0; i < update.length; i++) {
    const value = update[i] as number;
    const clipped = value > clip ? clip : value < -clip ? -clip : Number.isNaN(value) ? 0 : value;
    out[i] = Math.round(clipped * scale) >>> 0;
  }
  return out;
}

/** The sum of quantised updates (words mod 2^32) read as signed integers and divided by `scale`. */
export function dequantiseSum(sum: Uint32Array, scale: number, out = new Float64Array(sum.length)): Float64Array {
  for (let i = 0; i < sum.length; i++) out[i] = ((sum[i] as number) | 0) / scale;
  return out;
}

/** Largest per-coordinate difference between the decoded sum of m updates and the sum of their clipped values. */
export function quantisationErrorBound(summands: number, scale: number): number {
  return summands / (2 * scale);
}

/** Throws `RangeError` unless m updates clipped to ±clip at `scale` sum inside ±(2^31 − 1). */
export function checkQuantisationFits(summands: number, clip: number, scale: number): void {
  if (summands * (Math.round(clip * scale) + 0.5) > SECAGG_SUM_BOUND) {
    throw new RangeError(`${summands} updates clipped to ±${clip} at scale ${scale} overflow 32 bits`);
  }
}
