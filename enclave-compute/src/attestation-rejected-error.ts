import { TributaryError } from "@tributary/protocol";

/** Why an attestation was refused, as a stable code the coordinator can report to the trainer. */
export type AttestationRejection =
  | "simulated-in-production"
  | "unknown-kind"
  | "malformed"
  | "bad-signature"
  | "certificate-chain"
  | "root-not-pinned"
  | "expired"
  | "not-yet-valid"
  | "from-the-future"
  | "stale"
  | "nonce-mismatch"
  | "user-data-mismatch"
  | "measurement-not-allowed"
  | "pcr-not-allowed"
  | "public-key-mismatch"
  | "key-not-bound"
  | "debug-enclave"
  | "untrusted-chain"
  | "revoked"
  | "collateral-mismatch"
  | "collateral-unavailable"
  | "identity-mismatch"
  | "tcb-not-allowed";

export class AttestationRejectedError extends TributaryError {
  readonly reason: AttestationRejection;

  constructor(reason: AttestationRejection, message: string, details: Record<string, unknown> = {}) {
    super("ATTESTATION_REJECTED", `attestation rejected (${reason}): ${message}`, { details: { reason, ...details } });
    this.reason = reason;
  }
}
