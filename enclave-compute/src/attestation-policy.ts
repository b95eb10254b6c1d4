import { timingSafeEqual } from "node:crypto";
import type { AttestationClaims, AttestationVerifier, TeeKind } from "./attestation.js";
import { AttestationRejectedError } from "./attestation-rejected-error.js";

/** What a coordinator accepts. `development` is the default of `npm start`; production refuses simulated TEEs. */
export interface AttestationPolicy {
  readonly mode: "development" | "production";
  /** Allowlisted measurements per TEE kind (lower-case hex). */
  readonly allowedMeasurements: Readonly<Partial<Record<TeeKind, readonly string[]>>>;
  /** Oldest document accepted, in milliseconds. */
  readonly maxAgeMs: number;
  /** Tolerated clock skew for documents dated in the future, in milliseconds. */
  readonly clockSkewMs?: number;
}

export interface AttestationCheck {
  readonly kind: TeeKind;
  readonly document: Uint8Array;
  readonly expectedUserData: Uint8Array;
  readonly expectedNonce: Uint8Array;
  readonly now: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function enforceFreshness(claims: AttestationClaims, now: number, policy: AttestationPolicy): void {
  const age = now - claims.issuedAt;
  if (age < -(policy.clockSkewMs ?? 60_000)) {
    throw new AttestationRejectedError("from-the-future", `issued ${-age} ms in the future`, {
      issuedAt: claims.issuedAt,
    });
  }
  if (age > policy.maxAgeMs) {
    throw new AttestationRejectedError("stale", `issued ${age} ms ago, the policy allows ${policy.maxAgeMs} ms`);
  }
}

function enforceMeasurement(claims: AttestationClaims, policy: AttestationPolicy): void {
  if (/^0*$/.test(claims.measurement)) {
    throw new AttestationRejectedError("debug-enclave", "all-zero measurement (debug enclave)");
  }
  if (!(policy.allowedMeasurements[claims.kind] ?? []).includes(claims.measurement)) {
    throw new AttestationRejectedError(
      "measurement-not-allowed",
      `measurement ${claims.measurement} is not allowlisted`,
      { measurement: claims.measurement },
    );
  }
}

/**
 * The policy's checks on verified claims of any kind: freshness (`from-the-future`, `stale`), no all-zero
 * measurement (`debug-enclave`) and the measurement allowlist (`measurement-not-allowed`).
 */
export function enforceClaimsPolicy(claims: AttestationClaims, now: number, policy: AttestationPolicy): void {
  enforceFreshness(claims, now, policy);
  enforceMeasurement(claims, policy);
}

/**
 * Verifies an attestation against a policy: the kind's verifier checks the signature chain, then the policy
 * checks mode, freshness, nonce, key/job binding and measurement. Returns the claims or throws
 * `AttestationRejectedError` with the first failing reason.
 */
export async function checkAttestation(
  check: AttestationCheck,
  policy: AttestationPolicy,
  verifiers: readonly AttestationVerifier[],
): Promise<AttestationClaims> {
  if (check.kind === "simulated" && policy.mode === "production") {
    throw new AttestationRejectedError("simulated-in-production", "this coordinator runs in production mode");
  }
  const verifier = verifiers.find((candidate) => candidate.kind === check.kind);
  if (verifier === undefined) {
    throw new AttestationRejectedError("unknown-kind", `no verifier configured for ${check.kind} attestations`);
  }
  const claims = await verifier.verify(check.document, check.now);
  if (claims.kind !== check.kind) {
    throw new AttestationRejectedError("malformed", `document is ${claims.kind}, declared ${check.kind}`);
  }
  enforceFreshness(claims, check.now, policy);
  if (!sameBytes(claims.nonce, check.expectedNonce)) {
    throw new AttestationRejectedError("nonce-mismatch", "the document answers another challenge");
  }
  if (!sameBytes(claims.userData, check.expectedUserData)) {
    throw new AttestationRejectedError("user-data-mismatch", "the document binds another signer key, job or nonce");
  }
  enforceMeasurement(claims, policy);
  return claims;
}
