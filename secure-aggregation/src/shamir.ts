/**
 * Shamir secret sharing (Shamir 1979) over GF(p), p = 2^521 − 1 (a Mersenne prime), large enough to share any
 * 32-byte secret as one field element. A share is the point (x, f(x)) of a random polynomial f of degree t − 1
 * with f(0) = secret; any t shares give f(0) by Lagrange interpolation, fewer reveal nothing.
 */
export const SHAMIR_PRIME = (1n << 521n) - 1n;
/** Bytes of a share's y value (521 bits). */
export const SHARE_BYTES = 66;

export interface ShamirShare {
  readonly x: number;
  readonly y: bigint;
}

function mod(value: bigint): bigint {
  const r = value % SHAMIR_PRIME;
  return r < 0n ? r + SHAMIR_PRIME : r;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % SHAMIR_PRIME;
    b = (b * b) % SHAMIR_PRIME;
    e >>= 1n;
  }
  return result;
}

/** A uniform field element from 72 random bytes (the 2^576 → p reduction's bias is below 2^−55). */
export function randomFieldElement(randomBytes: (length: number) => Uint8Array): bigint {
  return mod(bytesToBigInt(randomBytes(72)));
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return bytes;
}

/**
 * Shares of `secret` (< p) at the distinct positive x-coordinates `xs`, any `threshold` of which reconstruct it.
 */
export function splitSecret(
  secret: bigint,
  threshold: number,
  xs: readonly number[],
  randomBytes: (length: number) => Uint8Array,
): ShamirShare[] {
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= xs.length)) {
    throw new RangeError(`threshold must be in 1 … ${xs.length}, got ${threshold}`);
  }
  if (secret < 0n || secret >= SHAMIR_PRIME) throw new RangeError("secret must be a field element");
  if (new Set(xs).size !== xs.length || xs.some((x) => !(Number.isSafeInteger(x) && x > 0))) {
    throw new RangeError("x-coordinates must be distinct positive integers");
  }
  const coefficients = [secret];
  for (let i = 1; i < threshold; i++) coefficients.push(randomFieldElement(randomBytes));
  return xs.map((x) => {
    // Horner's rule from the highest coefficient.
    let y = 0n;
    const bx = BigInt(x);
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + (coefficients[i] as bigint)) % SHAMIR_PRIME;
    return { x, y };
  });
}

/** f(0) from shares at distinct x-coordinates (Lagrange interpolation); exactly the secret given ≥ t shares. */
export function reconstructSecret(shares: readonly ShamirShare[]): bigint {
  if (new Set(shares.map((share) => share.x)).size !== shares.length) {
    throw new RangeError("shares must have distinct x-coordinates");
  }
  let numerator = 0n;
  let denominator = 1n;
  // Σ_i y_i · Π_{j≠i} x_j / (x_j − x_i), accumulated as one fraction so only one inversion is needed.
  for (const { x: xi, y } of shares) {
    let num = mod(y);
    let den = 1n;
    for (const { x: xj } of shares) {
      if (xj === xi) continue;
      num = (num * BigInt(xj)) % SHAMIR_PRIME;
      den = mod(den * BigInt(xj - xi));
    }
    numerator = mod(numerator * den + num * denominator);
    denominator = (denominator * den) % SHAMIR_PRIME;
  }
  return (numerator * power(denominator, SHAMIR_PRIME - 2n)) % SHAMIR_PRIME;
}
