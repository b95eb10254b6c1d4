/** Random bytes for keys, seeds and polynomial coefficients. */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * The platform's CSPRNG (`crypto.getRandomValues`, WebCrypto in browsers and Node), in chunks of 65,536 bytes,
 * the most one call may fill.
 */
export const secureRandomBytes: RandomBytes = (length) => {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return bytes;
};
