import type { Address, Bytes32, JobId } from "@tributary/protocol";
import type { AttestationClaims, AttestationVerifier, TeeKind } from "./attestation.js";
import { type AttestationPolicy, checkAttestation, enforceClaimsPolicy } from "./attestation-policy.js";
import { AttestationRejectedError } from "./attestation-rejected-error.js";
import { NitroAttestationVerifier } from "./nitro/nitro-attestation-verifier.js";
import { attestationUserData } from "./user-data.js";

/** A trainer's attestation as it asks to join a job: whose key, which job, which challenge, as of when. */
export interface TrainerAttestationCheck {
  readonly kind: TeeKind;
  readonly document: Uint8Array;
  /** The trainer's signing address (the key its updates are signed with). */
  readonly signer: Address;
  readonly jobId: JobId;
  /** The challenge the coordinator handed out for this join. */
  readonly coordinatorNonce: Bytes32;
  /** Verification time, Unix milliseconds. */
  readonly now: number;
}

/**
 * Admits a trainer's attestation under a coordinator's policy, whatever its kind:
 *
 * - `simulated`: refused in production (`simulated-in-production`); in development checked as any other document.
 * - `nitro`: `NitroAttestationVerifier.verify(document, now, { signer, jobId, coordinatorNonce })`, so the document
 *   may bind the trainer by `public_key` (the enclave's own secp256k1 key, whose address must be `signer`: the real
 *   AWS document binds its key this way, without user data or nonce, and is fresh by its timestamp) or by
 *   `user_data` = `attestationUserData(signer, job, nonce)`; then the policy's freshness and measurement (PCR0).
 * - `sgx`, `tdx` (and the simulator): `checkAttestation`, where REPORTDATA must be `attestationUserData(…)` ‖ nonce.
 *
 * Returns the verified claims or throws `AttestationRejectedError` naming the failed check.
 */
export async function checkTrainerAttestation(
  check: TrainerAttestationCheck,
  policy: AttestationPolicy,
  verifiers: readonly AttestationVerifier[],
): Promise<AttestationClaims> {
  const { kind, document, signer, jobId, coordinatorNonce, now } = check;
  if (kind !== "nitro") {
    return checkAttestation(
      {
        kind,
        document,
        expectedUserData: attestationUserData({ signer, jobId, coordinatorNonce }),
        expectedNonce: Buffer.from(coordinatorNonce.slice(2), "hex"),
        now,
      },
      policy,
      verifiers,
    );
  }
  const verifier = verifiers.find((candidate) => candidate.kind === "nitro");
  if (!(verifier instanceof NitroAttestationVerifier)) {
    throw new AttestationRejectedError("unknown-kind", "no verifier configured for nitro attestations");
  }
  const claims = await verifier.verify(document, now, { signer, jobId, coordinatorNonce });
  enforceClaimsPolicy(claims, now, policy);
  return claims;
}
