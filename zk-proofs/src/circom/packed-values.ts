import { CircuitInputError } from "./circom-errors.js";

/**
 * How the inference circuit's public signals carry integers: each value v ∈ [−2^23, 2^23) as its offset form
 * v + 2^23 in 24 bits, `VALUES_PER_WORD` to a field element, the first value in the lowest bits:
 * `word k = Σ_j (v[k·10 + j] + 2^23) · 2^(24·j)` (240 bits < the 254-bit field). The circuit's `UnpackValues` and
 * `PackValues` (circuits/fixed-point.circom) and the on-chain `Groth16InferenceProofVerifier` read them the same way.
 */
export const VALUES_PER_WORD = 10;
export const VALUE_BITS = 24;
const OFFSET = 2 ** (VALUE_BITS - 1);
const MASK = (1n << BigInt(VALUE_BITS)) - 1n;

/** The number of words `count` values take. */
export function wordsFor(count: number): number {
  return Math.ceil(count / VALUES_PER_WORD);
}

/** `values` (each in [−2^23, 2^23)) packed into words. */
export function packValues(values: Int32Array): bigint[] {
  const words = Array.from({ length: wordsFor(values.length) }, () => 0n);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (value < -OFFSET || value >= OFFSET) {
      throw new CircuitInputError(`value ${i} is ${value}, outside [−2^23, 2^23)`, { index: i, value });
    }
    const k = Math.floor(i / VALUES_PER_WORD);
    const shift = BigInt(VALUE_BITS * (i % VALUES_PER_WORD));
    words[k] = (words[k] as bigint) | (BigInt(value + OFFSET) << shift);
  }
  return words;
}

/** `count` values unpacked from words (the inverse of `packValues`). */
export function unpackValues(words: readonly bigint[], count: number): Int32Array {
  if (words.length !== wordsFor(count)) {
    throw new CircuitInputError(`${words.length} words do not hold ${count} values`, { words: words.length, count });
  }
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const word = words[Math.floor(i / VALUES_PER_WORD)] as bigint;
    const offset = (word >> BigInt(VALUE_BITS * (i % VALUES_PER_WORD))) & MASK;
    values[i] = Number(offset) - OFFSET;
  }
  return values;
}
