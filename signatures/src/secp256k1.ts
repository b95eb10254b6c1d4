import { createRequire } from "node:module";
import * as wasm from "tiny-secp256k1";

/**
 * libsecp256k1's ECDSA recovery and signing, as this process runs it: the native build (the `secp256k1` package's
 * prebuilt N-API addon, ~6× faster here) where it loads, else the same library compiled to WebAssembly
 * (`tiny-secp256k1`). Both refuse r or s outside 1 … n − 1 and sign with RFC 6979 nonces and low s, so they give
 * the same answers; `name` says which one runs.
 */
export interface Secp256k1 {
  readonly name: "native" | "wasm";
  /**
   * The uncompressed public key (65 bytes, `04 ‖ x ‖ y`) that made the 64-byte `r ‖ s` signature over the 32-byte
   * `digest` with recovery id `recoveryId` (the parity of R's y; R's x is r), as the EVM's `ecrecover` computes it;
   * `undefined` when there is none.
   */
  recover(digest: Uint8Array, signature: Uint8Array, recoveryId: 0 | 1): Uint8Array | undefined;
  /** Signs the 32-byte `digest`: the 64-byte `r ‖ s` (low s) and the recovery id. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number };
}

const require = createRequire(import.meta.url);

/** The part of the `secp256k1` package's native binding used here (it throws on a refused input). */
interface NativeBinding {
  ecdsaRecover(signature: Uint8Array, recoveryId: number, digest: Uint8Array, compressed: false): Uint8Array;
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
}

const wasmSecp256k1: Secp256k1 = {
  name: "wasm",
  recover(digest, signature, recoveryId) {
    try {
      return wasm.recover(digest, signature, recoveryId, false) ?? undefined;
    } catch {
      return undefined;
    }
  },
  sign(digest, privateKey) {
    return wasm.signRecoverable(digest, privateKey);
  },
};

function nativeSecp256k1(): Secp256k1 | undefined {
  let binding: NativeBinding;
  try {
    // `secp256k1/bindings` loads the prebuilt addon or throws (the package's main entry would fall back to a
    // pure-JS implementation 30× slower without saying so).
    binding = require("secp256k1/bindings") as NativeBinding;
  } catch {
    return undefined;
  }
  return {
    name: "native",
    recover(digest, signature, recoveryId) {
      try {
        return binding.ecdsaRecover(signature, recoveryId, digest, false);
      } catch {
        return undefined;
      }
    },
    sign(digest, privateKey) {
      const { signature, recid } = binding.ecdsaSign(digest, privateKey);
      return { signature, recoveryId: recid };
    },
  };
}

/** The native libsecp256k1 where its prebuilt addon loads on this platform, else its WebAssembly build. */
export const secp256k1: Secp256k1 = nativeSecp256k1() ?? wasmSecp256k1;

/** libsecp256k1 in WebAssembly, whatever loads: the benchmark's baseline and the tests' second implementation. */
export const secp256k1Wasm: Secp256k1 = wasmSecp256k1;
