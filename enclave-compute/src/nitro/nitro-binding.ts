import { timingSafeEqual } from "node:crypto";
import type { Address, Bytes32, JobId } from "@tributary/protocol";
import { computeAddress } from "ethers";
import { AttestationRejectedError } from "../attestation-rejected-error.js";
import { attestationUserData } from "../user-data.js";
import type { NitroAttestationDocument } from "./nitro-attestation-document.js";

/** Whom the document must be for: the trainer's signing address and, for a join, the job and the coordinator's nonce. */
export interface NitroBindingExpectation {
  readonly signer: Address;
  readonly jobId?: JobId;
  readonly coordinatorNonce?: Bytes32;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Ethereum address of a Nitro document's `public_key`: the key must be an uncompressed secp256k1 point
 * (65 bytes, 0x04 ‖ x ‖ y) on the curve, and the address is the last 20 bytes of keccak256(x ‖ y). Returns
 * `undefined` for any other key.
 */
export function nitroSignerAddress(publicKey: Uint8Array): Address | undefined {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return undefined;
  try {
    return computeAddress(`0x${Buffer.from(publicKey).toString("hex")}`).toLowerCase() as Address;
  } catch {
    return undefined; // not a point on secp256k1
  }
}

/**
 * Binds a verified Nitro document to a trainer. The enclave generates the trainer's Ethereum signing key inside
 * itself, so only code with the attested PCRs can sign with it; the document says which key that is:
 *
 * 1. `public_key`, when present, is that key as an uncompressed secp256k1 point, and its address must be the
 *    trainer's `signer` (`public-key-mismatch` otherwise). This is what the real AWS vector carries, and it binds
 *    the key without a job or nonce: it suits a registration (the coordinator's registrar) that is fresh by the
 *    document's timestamp.
 * 2. `user_data`, when present, must be `attestationUserData({ signer, jobId, coordinatorNonce })`, the same 32 bytes
 *    the simulator binds, which ties the document to this key, this job and this login attempt
 *    (`user-data-mismatch`, also when the expectation names no job or nonce to check it against).
 * 3. At least one of the two must be present: a document that names no key attests no trainer (`key-not-bound`).
 * 4. `nonce`, when the expectation has a coordinator nonce and the document carries one, must equal it
 *    (`nonce-mismatch`); the verifier's `requireNonce` makes its presence mandatory.
 */
export function checkNitroBinding(
  document: Pick<NitroAttestationDocument, "publicKey" | "userData" | "nonce">,
  expected: NitroBindingExpectation,
  requireNonce: boolean,
): void {
  const nonce =
    expected.coordinatorNonce === undefined ? undefined : Buffer.from(expected.coordinatorNonce.slice(2), "hex");
  if (requireNonce && (document.nonce === undefined || nonce === undefined)) {
    throw new AttestationRejectedError(
      "nonce-mismatch",
      document.nonce === undefined
        ? "nonce: the document carries none and one is required"
        : "nonce: no challenge to check it against",
    );
  }
  if (document.nonce !== undefined && nonce !== undefined && !sameBytes(document.nonce, nonce)) {
    throw new AttestationRejectedError("nonce-mismatch", "nonce: the document answers another challenge");
  }
  if (document.publicKey === undefined && document.userData === undefined) {
    throw new AttestationRejectedError(
      "key-not-bound",
      "the document binds no trainer key (no public_key, no user_data)",
    );
  }
  if (document.publicKey !== undefined) {
    const address = nitroSignerAddress(document.publicKey);
    if (address === undefined) {
      throw new AttestationRejectedError("public-key-mismatch", "public_key is not an uncompressed secp256k1 key");
    }
    if (address !== expected.signer.toLowerCase()) {
      throw new AttestationRejectedError(
        "public-key-mismatch",
        `public_key belongs to ${address}, not to the trainer ${expected.signer}`,
        { attested: address, signer: expected.signer },
      );
    }
  }
  if (document.userData !== undefined) {
    if (expected.jobId === undefined || expected.coordinatorNonce === undefined) {
      throw new AttestationRejectedError(
        "user-data-mismatch",
        "user_data: no job and nonce to check the binding against",
      );
    }
    const binding = attestationUserData({
      signer: expected.signer,
      jobId: expected.jobId,
      coordinatorNonce: expected.coordinatorNonce,
    });
    if (!sameBytes(document.userData, binding)) {
      throw new AttestationRejectedError("user-data-mismatch", "user_data binds another signer key, job or nonce");
    }
  }
}
