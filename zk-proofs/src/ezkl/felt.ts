/** The order of BN254's scalar field, in which EZKL's KZG circuits (halo2 over bn256) compute. */
export const BN254_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/**
 * A field element as EZKL serialises it (64 hex digits, the 32 bytes little-endian) as a signed integer: elements
 * above (r - 1) / 2 stand for negative numbers, as in EZKL's `felt_to_integer_rep`.
 */
export function feltToBigInt(hex: string): bigint {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`not a field element (64 hex digits): ${hex}`);
  let value = 0n;
  for (let byte = 31; byte >= 0; byte--)
    value = (value << 8n) | BigInt(Number.parseInt(hex.slice(byte * 2, byte * 2 + 2), 16));
  if (value >= BN254_SCALAR_FIELD) throw new RangeError(`not a field element (not below the field's order): ${hex}`);
  return value > (BN254_SCALAR_FIELD - 1n) / 2n ? value - BN254_SCALAR_FIELD : value;
}

/** A fixed-point field element at `scale` (value / 2^scale) as a float, as EZKL's `felt_to_float`. */
export function feltToFloat(hex: string, scale: number): number {
  return Number(feltToBigInt(hex)) / 2 ** scale;
}

/** `value` quantised as EZKL quantises inputs at `scale`: round(value · 2^scale), halves away from zero, as a float. */
export function quantise(value: number, scale: number): number {
  const multiplier = 2 ** scale;
  return (Math.sign(value) * Math.round(Math.abs(value) * multiplier)) / multiplier;
}
