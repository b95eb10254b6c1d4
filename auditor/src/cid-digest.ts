import type { Bytes32 } from "@tributary/protocol";
import { hexlify } from "ethers";
import { base32 } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";

/** The multihash code of sha2-256. */
const SHA2_256 = 0x12;

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
