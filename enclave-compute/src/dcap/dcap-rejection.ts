import { AttestationRejectedError, type AttestationRejection } from "../attestation-rejected-error.js";

/**
 * The DCAP verification steps, in the order `DcapAttestationVerifier` runs them. Every refusal names its step
 * first in the message (`attestation rejected (bad-signature): quote-signature: …`) and in `details.check`.
 */
export type DcapCheck =
  | "quote-format"
  | "collateral-format"
  | "trust-anchor"
  | "root-ca-crl"
  | "pck-crl"
  | "pck-certificate-chain"
  | "pck-certificate"
  | "tcb-info"
  | "qe-identity"
  | "qe-report-signature"
  | "qe-report-data"
  | "qe-identity-match"
  | "quote-signature"
  | "tdx-module"
  | "tcb-level"
  | "debug"
  | "tcb-policy";

/** Throws the `AttestationRejectedError` for a failed DCAP check. */
export function rejectDcap(
  reason: AttestationRejection,
  check: DcapCheck,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new AttestationRejectedError(reason, `${check}: ${message}`, { check, ...details });
}
