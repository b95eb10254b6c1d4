import { SCORE_SCALE } from "@tributary/protocol";
import { AggregationInputError } from "../errors.js";

const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite non-negative double as m · 2^-1074 (every double is a multiple of 2^-1074). */
function exactUnits(value: number): bigint {
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const exponent = (high >>> 20) & 0x7ff;
  const mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  // Subnormals: mantissa · 2^-1074. Normals: (2^52 + mantissa) · 2^(exponent − 1075).
  return exponent === 0 ? mantissa : ((1n << 52n) | mantissa) << BigInt(exponent - 1);
}

/**
 * Converts non-negative scores into integers scaled by `SCORE_SCALE` (10^18) that sum to exactly 10^18, for the
 * round's Merkle leaves: each score's exact share s_i / Σs of 10^18 is rounded down, and the units left over go
 * one each to the largest remainders (Hamilton's largest-remainder method; equal remainders go to the lower
 * index). The arithmetic is exact (each double is read as the rational it is), so any platform gets the same
 * integers; a score of exactly 0 (a rejected update) stays 0, and every result is within one unit of the exact
 * share. The scores need not sum to 1 (`normaliseScores` output does, up to rounding): they are divided by their
 * exact sum. All zeros give all zeros (sum 0). Throws `AggregationInputError` for a negative or non-finite score.
 */
export function scoresToFixed18(scores: ArrayLike<number>): bigint[] {
  const n = scores.length;
  const units: bigint[] = new Array(n);
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const value = scores[i] as number;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new AggregationInputError(`scoresToFixed18: score ${i} is ${String(value)}, expected a finite value ≥ 0`, {
        rule: "scoresToFixed18",
        index: i,
        value: String(value),
      });
    }
    const exact = exactUnits(value);
    units[i] = exact;
    total += exact;
  }
  const result: bigint[] = new Array(n).fill(0n);
  if (total === 0n) return result;
  const remainders: bigint[] = new Array(n);
  let assigned = 0n;
  for (let i = 0; i < n; i++) {
    const scaled = (units[i] as bigint) * SCORE_SCALE;
    const share = scaled / total;
    result[i] = share;
    remainders[i] = scaled - share * total;
    assigned += share;
  }
  // Σ remainders = (10^18 − assigned) · total and each remainder < total, so more than `left` indices have a
  // positive remainder: the leftover units never reach a zero score.
  const left = Number(SCORE_SCALE - assigned);
  const byRemainder = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ra = remainders[a] as bigint;
    const rb = remainders[b] as bigint;
    return ra === rb ? a - b : ra > rb ? -1 : 1;
  });
  for (let k = 0; k < left; k++) {
    const i = byRemainder[k] as number;
    result[i] = (result[i] as bigint) + 1n;
  }
  return result;
}
