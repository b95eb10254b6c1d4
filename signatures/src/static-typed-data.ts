import { getBytes, id, type TypedDataDomain, TypedDataEncoder, type TypedDataField } from "ethers";
import sha3 from "js-sha3";
import { type Secp256k1, secp256k1 } from "./secp256k1.js";

/** keccak256 by js-sha3 (2–3× faster than @noble/hashes on these 32–96-byte inputs). */
function keccak256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sha3.keccak256.arrayBuffer(bytes));
}

/**
 * EIP-712 digests of one struct type whose fields are all static words (`uintN`, `bytes32`, `address`, `bool`, each
 * encoded as one 32-byte word), fast: the domain separator and type hash are computed once with ethers, and each
 * digest is two keccak256 calls over fixed buffers. `digest(words)` equals ethers' `TypedDataEncoder.hash(domain,
 * types, value)` for the same values (`uintWord`, `addressWord`).
 */
export class StaticTypedData {
  readonly #prefix = new Uint8Array(66);
  readonly #struct: Uint8Array;
  readonly fields: readonly string[];

  constructor(domain: TypedDataDomain, types: Record<string, TypedDataField[]>) {
    const [primary] = Object.keys(types);
    const fields = primary === undefined ? undefined : types[primary];
    if (primary === undefined || fields === undefined || Object.keys(types).length !== 1) {
      throw new Error("StaticTypedData takes exactly one struct type");
    }
    for (const field of fields) {
      if (!/^(uint\d*|bytes32|address|bool)$/.test(field.type)) {
        throw new Error(`field ${field.name} is not a 32-byte static word`);
      }
    }
    this.fields = fields.map((field) => field.name);
    this.#prefix.set([0x19, 0x01]);
    this.#prefix.set(getBytes(TypedDataEncoder.hashDomain(domain)), 2);
    const typeString = `${primary}(${fields.map((field) => `${field.type} ${field.name}`).join(",")})`;
    this.#struct = new Uint8Array(32 * (fields.length + 1));
    this.#struct.set(getBytes(id(typeString)));
  }

  /** The domain separator (`hashDomain`), 32 bytes. */
  get domainSeparator(): Uint8Array {
    return this.#prefix.subarray(2, 34);
  }

  /** The digest of a value given as its fields' 32-byte words, in the type's field order. */
  digest(words: readonly Uint8Array[]): Uint8Array {
    this.#fill(this.#struct, words);
    this.#prefix.set(keccak256(this.#struct), 34);
    return keccak256(this.#prefix);
  }

  /**
   * The value's struct encoding, what `hashStruct` hashes: the type hash, then its fields' 32-byte words (a new
   * buffer). `typedDataDigest(domainSeparator, encode(words))` is `digest(words)`.
   */
  encode(words: readonly Uint8Array[]): Uint8Array {
    const struct = new Uint8Array(this.#struct.byteLength);
    struct.set(this.#struct.subarray(0, 32));
    return this.#fill(struct, words);
  }

  /** Writes the words after the type hash's place in `target`. */
  #fill(target: Uint8Array, words: readonly Uint8Array[]): Uint8Array {
    if (words.length !== this.fields.length) throw new Error(`expected ${this.fields.length} words`);
    for (const [index, word] of words.entries()) target.set(word, 32 * (index + 1));
    return target;
  }
}

/** The EIP-712 digest keccak256(0x19 0x01 ‖ domainSeparator ‖ keccak256(struct)) of a struct encoding. */
export function typedDataDigest(domainSeparator: Uint8Array, struct: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(66);
  prefix.set([0x19, 0x01]);
  prefix.set(domainSeparator, 2);
  prefix.set(keccak256(struct), 34);
  return keccak256(prefix);
}

/** A uint256 as its 32-byte big-endian word. */
export function uintWord(value: bigint): Uint8Array {
  const word = new Uint8Array(32);
  let rest = value;
  for (let index = 31; index >= 0 && rest > 0n; index--) {
    word[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return word;
}

/** An address (0x + 40 hex) as its 32-byte word: left-padded with zeros. */
export function addressWord(address: string): Uint8Array {
  const word = new Uint8Array(32);
  word.set(getBytes(address), 12);
  return word;
}

/** A 0x-hex 32-byte value as its word. */
export function bytes32Word(value: string): Uint8Array {
  return getBytes(value);
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
function hex(bytes: Uint8Array): string {
  let text = "0x";
  for (const byte of bytes) text += HEX[byte];
  return text;
}

/** The address (lower case) of an uncompressed public key (`04 ‖ x ‖ y`): the last 20 bytes of keccak256(x ‖ y). */
export function addressOf(publicKey: Uint8Array): string {
  return hex(keccak256(publicKey.subarray(1)).subarray(12));
}

/**
 * The address (lower case) that produced the 65-byte `r ‖ s ‖ v` signature over `digest`, by libsecp256k1
 * (`secp256k1`: native or WebAssembly), or `undefined` when none can be recovered. The caller checks the
 * signature's form (low s, v 27/28) first, as `PaymentChannels` does through OpenZeppelin's ECDSA.
 */
export function recoverAddress(
  digest: Uint8Array,
  signature: Uint8Array,
  curve: Secp256k1 = secp256k1,
): string | undefined {
  const point = recoverKey(digest, signature, curve);
  return point === undefined ? undefined : addressOf(point);
}

/** The uncompressed public key behind a 65-byte `r ‖ s ‖ v` signature (v 27/28), or `undefined`. */
export function recoverKey(
  digest: Uint8Array,
  signature: Uint8Array,
  curve: Secp256k1 = secp256k1,
): Uint8Array | undefined {
  const v = signature[64];
  if (v !== 27 && v !== 28) return undefined;
  return curve.recover(digest, signature.subarray(0, 64), (v - 27) as 0 | 1);
}

/** Signs `digest` with `privateKey` (32 bytes) as a 65-byte `r ‖ s ‖ v` hex signature (low s, v 27/28), as ethers does. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array, curve: Secp256k1 = secp256k1): string {
  const { signature, recoveryId } = curve.sign(digest, privateKey);
  const full = new Uint8Array(65);
  full.set(signature);
  full[64] = 27 + recoveryId;
  return hex(full);
}

export { hex as bytesToHex };
