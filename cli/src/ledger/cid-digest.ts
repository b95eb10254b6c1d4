import type { Bytes32 } from "@tributary/protocol";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const SHA2_256 = 0x12;

/** RFC 4648 base32 (lower case, no padding) to bytes; `undefined` for a character outside the alphabet. */
function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

/** An unsigned LEB128 varint at `offset` (multiformats' encoding of versions, codecs and hash codes). */
function varint(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = offset; i < bytes.length && shift < 28; shift += 7, i++) {
    const byte = bytes[i] as number;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/**
 * The SHA-256 digest a base32 CIDv1 (`b…`, any codec, sha2-256 multihash) commits to, as 0x-hex; `undefined`
 * when the string is not such a CID. Lets an auditor check that a leaf's `updateCid` names the bytes its
 * `updateHash` commits to without fetching them (a CID is `b` + base32(version, codec, 0x12, 32, digest)).
 */
export function sha256OfCid(cid: string): Bytes32 | undefined {
  if (!cid.startsWith("b")) return undefined;
  const bytes = base32Decode(cid.slice(1));
  if (bytes === undefined) return undefined;
  const version = varint(bytes, 0);
  if (version?.value !== 1) return undefined;
  const codec = varint(bytes, version.next);
  if (codec === undefined) return undefined;
  const hash = varint(bytes, codec.next);
  if (hash?.value !== SHA2_256) return undefined;
  const length = varint(bytes, hash.next);
  if (length?.value !== 32 || bytes.length !== length.next + 32) return undefined;
  return `0x${Buffer.from(bytes.subarray(length.next)).toString("hex")}` as Bytes32;
}
