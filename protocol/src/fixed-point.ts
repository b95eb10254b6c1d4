import { parseUnits } from "ethers";

/** Scale of fixed-point reals on chain and in signatures (ε, δ): 1.0 is `FIXED18_ONE`. */
export const FIXED18_ONE = 10n ** 18n;

/**
 * Converts a non-negative finite number to 18-decimal fixed point, rounding half away from zero at the 18th
 * decimal. Deterministic for a given double, so signer and verifier always agree.
 */
export function toFixed18(value: number): bigint {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`toFixed18 needs a finite non-negative number, got ${value}`);
  }
  if (value === 0) return 0n;
  const decimal = value.toFixed(18);
  // `toFixed(18)` writes exactly 18 decimals below 1e21: the digits without the point are the value (what
  // `parseUnits` computes, without its generic parsing); larger values are written in exponent form and parsed.
  const point = decimal.length - 19;
  if (decimal[point] === "." && value < 1e21) return BigInt(decimal.slice(0, point) + decimal.slice(point + 1));
  return parseUnits(decimal, 18);
}

/** The inverse of `toFixed18` (to the nearest double). */
export function fromFixed18(value: bigint): number {
  const whole = value / FIXED18_ONE;
  const fraction = value % FIXED18_ONE;
  return Number(whole) + Number(fraction) / 1e18;
}
