import { chacha20poly1305 } from "@noble/ciphers/chacha";
import { x25519 } from "@noble/curves/ed25519";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { getBytes, hexlify } from "ethers";

export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateKeyPair(randomBytes: (length: number) => Uint8Array): X25519KeyPair {
  const secretKey = randomBytes(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

/**
 * A 32-byte key both ends derive alike: HKDF-SHA256 of the X25519 shared secret, with `purpose` (the job, the
 * round and what the key is for) as info. Refuses a low-order peer key (an all-zero shared secret).
 */
export function agreeKey(secretKey: Uint8Array, peerPublicKey: Uint8Array, purpose: string): Uint8Array {
  const shared = x25519.getSharedSecret(secretKey, peerPublicKey);
  if (shared.every((byte) => byte === 0)) throw new RangeError("low-order X25519 public key");
  return hkdf(sha256, shared, undefined, new TextEncoder().encode(`tributary-secagg:${purpose}`), 32);
}

/** ChaCha20-Poly1305 with a random nonce prepended; `aad` binds the ciphertext to its sender, recipient and round. */
export function sealShares(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: string,
  randomBytes: (n: number) => Uint8Array,
): string {
  const nonce = randomBytes(12);
  const sealed = chacha20poly1305(key, nonce, new TextEncoder().encode(aad)).encrypt(plaintext);
  const out = new Uint8Array(12 + sealed.length);
  out.set(nonce);
  out.set(sealed, 12);
  return hexlify(out);
}

/** Opens `sealShares`'s output; throws when the ciphertext, the key or the associated data differ. */
export function openShares(key: Uint8Array, ciphertext: string, aad: string): Uint8Array {
  const bytes = getBytes(ciphertext);
  if (bytes.length < 12 + 16) throw new RangeError("ciphertext too short");
  return chacha20poly1305(key, bytes.subarray(0, 12), new TextEncoder().encode(aad)).decrypt(bytes.subarray(12));
}
