import { type Bytes32, weightsToBytes } from "@tributary/protocol";
import { bytesToHex } from "./static-typed-data.js";

/**
 * protocol's `tensorHash` (SHA-256 of the values as little-endian float32), computed by WebCrypto off the event
 * loop (Node hashes on its thread pool), so a large request's hash costs the serving thread nothing while its
 * batch computes.
 */
export async function tensorDigest(values: Float32Array): Promise<Bytes32> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", weightsToBytes(values));
  return bytesToHex(new Uint8Array(digest)) as Bytes32;
}
