import { chacha20 } from "@noble/ciphers/chacha";

/** The nonces that separate a self mask from a pairwise mask drawn from the same kind of seed. */
const SELF_NONCE = new Uint8Array([0x73, 0x65, 0x6c, 0x66, 0, 0, 0, 0, 0, 0, 0, 0]);
const PAIR_NONCE = new Uint8Array([0x70, 0x61, 0x69, 0x72, 0, 0, 0, 0, 0, 0, 0, 0]);

export type MaskKind = "self" | "pair";

/**
 * `length` pseudorandom 32-bit words from a 32-byte seed: the ChaCha20 keystream (RFC 8439, counter from 0) read
 * as little-endian words. Uniform over Z_{2^32}^length for a uniform seed, as far as ChaCha20 is a PRF.
 */
export function maskWords(seed: Uint8Array, length: number, kind: MaskKind): Uint32Array {
  const bytes = chacha20(seed, kind === "self" ? SELF_NONCE : PAIR_NONCE, new Uint8Array(length * 4));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = new Uint32Array(length);
  for (let i = 0; i < length; i++) words[i] = view.getUint32(i * 4, true);
  return words;
}

/** `into += sign · mask (mod 2^32)`, in place. */
export function applyMask(into: Uint32Array, mask: Uint32Array, sign: 1 | -1): void {
  if (sign === 1) for (let i = 0; i < into.length; i++) into[i] = ((into[i] as number) + (mask[i] as number)) >>> 0;
  else for (let i = 0; i < into.length; i++) into[i] = ((into[i] as number) - (mask[i] as number)) >>> 0;
}

/** Little-endian bytes of 32-bit words (the wire form of a masked vector). */
export function wordsToBytes(words: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i] as number, true);
  return bytes;
}

export function bytesToWords(bytes: Uint8Array): Uint32Array {
  if (bytes.byteLength % 4 !== 0) throw new RangeError("a masked vector is a whole number of 32-bit words");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = new Uint32Array(bytes.byteLength / 4);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, true);
  return words;
}
