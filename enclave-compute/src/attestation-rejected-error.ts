import { TributaryError } from "@tributary/protocol";

/** Why an attestation was refused, as a stable code the coordinator can report to the trainer. */
export type AttestationRejection =
  | "simulated-in-production"
  | "unknown-kind"
  | "malformed"
  | "bad-signature"
  | "expired"
  | "from-the-future"
  | "stale"
  | "nonce-mismatch"
  | "user-data-mismatch"
  | "measurement-not-allowed"
  | "debug-enclave"
  | "not-yet-valid"
  | "untrusted-chain"
  | "revoked"
  | "collateral-mismatch"
  | "identity-mismatch"
  | "tcb-not-allowed";

export class AttestationRejectedError extends TributaryError {
  readonly reason: AttestationRejection;

  constructor(reason: AttestationRejection, message: string, details: Record<string, unknown> = {}) {
    super("ATTESTATION_REJECTED", `attestation rejected (${reason}): ${message}`, { details: { reason, ...details } });
    this.reason = reason;
  }
}
