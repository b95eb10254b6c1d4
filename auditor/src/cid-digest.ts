import type { Bytes32 } from "@tributary/protocol";
import { getBytes, hexlify } from "ethers";
import { base32 } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";

/** The multihash code of sha2-256. */
const SHA2_256 = 0x12;
/** The multicodec of raw bytes. */
const RAW_CODEC = 0x55;

/**
 * The SHA-256 digest a base32 CIDv1 (`b…`, any codec, sha2-256 multihash) commits to, as 0x-hex; `undefined`
 * when the string is not such a CID. Lets an auditor check that a leaf's `updateCid` names the bytes its
 * `updateHash` commits to without fetching them.
 */
export function sha256OfCid(cid: string): Bytes32 | undefined {
  let parsed: CID;
  try {
    parsed = CID.parse(cid, base32);
  } catch {
    return undefined;
  }
  if (parsed.version !== 1 || parsed.multihash.code !== SHA2_256 || parsed.multihash.size !== 32) return undefined;
  return hexlify(parsed.multihash.digest) as Bytes32;
}

/** The raw-codec CIDv1 of the bytes whose SHA-256 is `sha256` (0x-hex): how the coordinator names a stored blob. */
export function cidOfSha256(sha256: Bytes32): string {
  return CID.create(1, RAW_CODEC, Digest.create(SHA2_256, getBytes(sha256))).toString();
}

/** SHA-256 as 0x-hex, through WebCrypto (native in browsers and Node alike, and fast on model-sized blobs). */
export async function sha256Hex(bytes: Uint8Array): Promise<Bytes32> {
  return hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))) as Bytes32;
}
