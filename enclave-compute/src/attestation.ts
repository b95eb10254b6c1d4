/** The kinds of trusted execution environment Tributary knows. `simulated` is the development stand-in. */
export type TeeKind = "nitro" | "sgx" | "tdx" | "simulated";

/** An attestation document exactly as its TEE produced it (COSE_Sign1 for Nitro, a DCAP quote for SGX/TDX). */
export interface AttestationDocument {
  readonly kind: TeeKind;
  readonly bytes: Uint8Array;
}

/** What a document proves once its signature chain has been verified to the kind's pinned root. */
export interface AttestationClaims {
  readonly kind: TeeKind;
  /** True for documents from the simulator: no hardware stands behind them. */
  readonly simulated: boolean;
  /** The enclave measurement as lower-case hex (Nitro PCR digest, SGX MRENCLAVE, TDX MRTD, simulator id). */
  readonly measurement: string;
  /** The 32 bytes the enclave bound into the document (see `attestationUserData`). */
  readonly userData: Uint8Array;
  /** The verifier's challenge, echoed by the enclave. */
  readonly nonce: Uint8Array;
  /** When the TEE produced the document, in Unix milliseconds. */
  readonly issuedAt: number;
  /** The public key the enclave put in its document, where the kind has one (Nitro `public_key`). */
  readonly publicKey?: Uint8Array;
  /** Every platform configuration register by index, as lower-case hex, where the kind has them (Nitro). */
  readonly pcrs?: Readonly<Record<number, string>>;
}

/** Something that runs inside (or stands in for) a TEE and can attest to what it is. */
export interface Enclave {
  readonly kind: TeeKind;
  readonly simulated: boolean;
  /** Produces a document binding `userData` (32 bytes) and the verifier's `nonce`. */
  attest(userData: Uint8Array, nonce: Uint8Array): Promise<AttestationDocument>;
}

/** Verifies one kind's documents cryptographically (signature chain to a pinned root) and extracts claims. */
export interface AttestationVerifier {
  readonly kind: TeeKind;
  /** Throws `AttestationRejectedError` when the document does not verify as of `now` (Unix ms). */
  verify(document: Uint8Array, now: number): Promise<AttestationClaims>;
}
