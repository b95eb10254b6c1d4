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
  return parseUnits(value.toFixed(18), 18);
}

/** The inverse of `toFixed18` (to the nearest double). */
export function fromFixed18(value: bigint): number {
  const whole = value / FIXED18_ONE;
  const fraction = value % FIXED18_ONE;
  return Number(whole) + Number(fraction) / 1e18;
}
