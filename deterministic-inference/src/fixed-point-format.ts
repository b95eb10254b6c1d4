/**
 * The fixed-point number format of deterministic inference, and its two rounding primitives.
 *
 * Every value is an integer `q` that stands for the real `q · 2^-F`, F a power-of-two scale fixed per tensor:
 *
 * - **Activations** (the inputs, every hidden activation and the output logits): `F_A` fractional bits for the whole
 *   model (`DEFAULT_ACTIVATION_FRACTION_BITS` = 12, stored in the model's bytes), saturated to
 *   `|q| ≤ ACTIVATION_LIMIT` = 2^23 − 1 (±2,048 at F_A = 12).
 * - **Weights** of a dense or conv2d layer: `F_W` fractional bits for that layer's kernel, `0 ≤ F_W ≤ MAX_WEIGHT_FRACTION_BITS`,
 *   the largest for which every weight rounds to `|q| ≤ WEIGHT_LIMIT` = 2^15 − 1 (int16) and every bias to
 *   `|q| ≤ BIAS_LIMIT`.
 * - **Biases**: `F_A + F_W` fractional bits, the accumulator's scale, so they are added without a shift;
 *   `|q| ≤ BIAS_LIMIT` = 2^51.
 *
 * A dense or conv2d output is `acc = bias + Σ activation · weight` over the layer's fan-in `n ≤ MAX_FAN_IN` = 2^14,
 * then `roundShift(acc, F_W)` back to F_A bits, saturated to ±ACTIVATION_LIMIT, then ReLU if the layer has it.
 * Max-pooling takes the largest integer of its window. Softmax is left out: the output is the integer logits
 * (argmax unchanged).
 *
 * **Exactness in JavaScript numbers.** Every product has `|activation · weight| ≤ (2^23 − 1)(2^15 − 1) < 2^38`,
 * so the `n ≤ 2^14` products sum to less than 2^52, and with the bias every partial sum, in any order, stays below
 * 2^52 + 2^51; adding the rounding half `2^(F_W − 1) ≤ 2^29` keeps it below 2^53. Every intermediate is therefore an
 * integer a float64 represents exactly, and the result is the same on every machine, engine and summation order.
 *
 * **Rounding** (the one rule, everywhere: inputs, weights, biases and the shifts): round to nearest, ties toward
 * +∞, i.e. `⌊x + 1/2⌋`. On a shift by `s > 0` bits that is `⌊(acc + 2^(s−1)) / 2^s⌋` (an arithmetic shift right
 * after adding half), exact as written in float64; a shift by 0 is the identity. A circuit computes it with one
 * range-checked division by 2^s.
 */

/** Fractional bits of activations unless the model says otherwise (resolution 2^-12 ≈ 0.000244). */
export const DEFAULT_ACTIVATION_FRACTION_BITS = 12;
/** The most fractional bits an activation may have (inputs in [0, 1] then still use 17 bits of 24). */
export const MAX_ACTIVATION_FRACTION_BITS = 16;
/** Activations saturate to [−ACTIVATION_LIMIT, ACTIVATION_LIMIT] = ±(2^23 − 1). */
export const ACTIVATION_LIMIT = 2 ** 23 - 1;
/** Quantised weights are int16 values in [−WEIGHT_LIMIT, WEIGHT_LIMIT] = ±(2^15 − 1). */
export const WEIGHT_LIMIT = 2 ** 15 - 1;
/** Quantised biases (at F_A + F_W fractional bits) satisfy |q| ≤ 2^51. */
export const BIAS_LIMIT = 2 ** 51;
/** A layer's weight scale has at most 30 fractional bits (so the rounding half 2^(F_W − 1) ≤ 2^29). */
export const MAX_WEIGHT_FRACTION_BITS = 30;
/** The most products one output sums (a dense layer's inputs, a convolution's kh · kw · channels). */
export const MAX_FAN_IN = 2 ** 14;

/**
 * `⌊x + 1/2⌋` for any finite float64 `x` (round to nearest, ties toward +∞), decided exactly: `x − ⌊x⌋` is exact
 * (Sterbenz) except for `x` in (−1/2, 0), where it may round but stays ≥ 1/2, which is the right answer there. The
 * result is an integer-valued float64. (`Math.round` has this rule by specification; this does not rely on an engine
 * implementing it exactly.)
 */
export function roundHalfUp(x: number): number {
  const floor = Math.floor(x);
  return x - floor >= 0.5 ? floor + 1 : floor;
}

/** `⌊(acc + 2^(shift−1)) / 2^shift⌋` for an integer `|acc| < 2^53 − 2^29` and `0 ≤ shift ≤ 30` (exact). */
export function roundShift(acc: number, shift: number): number {
  if (shift === 0) return acc;
  return Math.floor((acc + 2 ** (shift - 1)) * 2 ** -shift);
}

/** `value` clamped to [−limit, limit]. */
export function saturate(value: number, limit: number): number {
  return Math.min(limit, Math.max(-limit, value));
}
