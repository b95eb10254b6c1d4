import { type KeyObject, verify } from "node:crypto";
import { type DecodeOptions, decode, encode } from "cborg";
import { AttestationRejectedError } from "../attestation-rejected-error.js";

/** COSE algorithm id of ECDSA with SHA-384 on P-384 (RFC 9053, table 1), the only one Nitro uses. */
export const COSE_ES384 = -35;
/** The head byte of CBOR tag 18, a tagged COSE_Sign1 message (RFC 9052 §4.2); Nitro's NSM emits the untagged array. */
const COSE_SIGN1_TAG_HEAD = 0xd2;

/**
 * Strict CBOR: minimal encodings only, no duplicate map keys, no indefinite lengths, no `undefined`, no tags, maps
 * kept as `Map` (Nitro's PCR map has integer keys). Anything else is not a Nitro document.
 */
export const STRICT_CBOR: DecodeOptions = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
};

/** A COSE_Sign1 message (RFC 9052 §4.2) with its protected header kept as the exact bytes that were signed. */
export interface CoseSign1 {
  readonly protectedHeader: Uint8Array;
  readonly algorithm: number;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

function malformed(message: string, cause?: unknown): AttestationRejectedError {
  return new AttestationRejectedError("malformed", message, cause instanceof Error ? { cause: cause.message } : {});
}

/** Decodes `[protected: bstr, unprotected: map, payload: bstr, signature: bstr]`, tagged 18 (outermost only) or not. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  let message: unknown;
  try {
    message = decode(bytes[0] === COSE_SIGN1_TAG_HEAD ? bytes.subarray(1) : bytes, STRICT_CBOR);
  } catch (cause) {
    throw malformed("not a strict CBOR COSE_Sign1 message", cause);
  }
  if (!Array.isArray(message) || message.length !== 4) throw malformed("COSE_Sign1 must be an array of 4 items");
  const [protectedHeader, unprotected, payload, signature] = message as unknown[];
  if (!(protectedHeader instanceof Uint8Array)) throw malformed("COSE_Sign1 protected header must be a byte string");
  if (!(unprotected instanceof Map)) throw malformed("COSE_Sign1 unprotected header must be a map");
  if (!(payload instanceof Uint8Array)) throw malformed("COSE_Sign1 payload must be an attached byte string");
  if (!(signature instanceof Uint8Array)) throw malformed("COSE_Sign1 signature must be a byte string");
  let header: unknown;
  try {
    header = decode(protectedHeader, STRICT_CBOR);
  } catch (cause) {
    throw malformed("COSE_Sign1 protected header is not strict CBOR", cause);
  }
  const algorithm = header instanceof Map ? header.get(1) : undefined;
  if (typeof algorithm !== "number") throw malformed("COSE_Sign1 protected header names no algorithm (label 1)");
  return { protectedHeader, algorithm, payload, signature };
}

/** The bytes a COSE_Sign1 signature covers: `Sig_structure1 = ["Signature1", protected, external_aad = h'', payload]`. */
export function coseSign1SigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(["Signature1", protectedHeader, new Uint8Array(0), payload]);
}

/**
 * Checks an ES384 COSE_Sign1 signature: raw r‖s (96 bytes, RFC 9053 §2.1) over the Sig_structure with SHA-384,
 * under a P-384 public key. Throws `bad-signature` when it does not verify.
 */
export function verifyCoseSign1Es384(message: CoseSign1, publicKey: KeyObject): void {
  if (message.algorithm !== COSE_ES384) {
    throw new AttestationRejectedError("bad-signature", `signature algorithm ${message.algorithm} is not ES384 (-35)`);
  }
  if (message.signature.length !== 96) {
    throw new AttestationRejectedError(
      "bad-signature",
      `ES384 signature must be 96 bytes, got ${message.signature.length}`,
    );
  }
  const signed = coseSign1SigStructure(message.protectedHeader, message.payload);
  const valid = verify("sha384", signed, { key: publicKey, dsaEncoding: "ieee-p1363" }, message.signature);
  if (!valid)
    throw new AttestationRejectedError(
      "bad-signature",
      "the COSE_Sign1 signature does not verify under the leaf certificate's key",
    );
}
