import type { Address } from "@tributary/protocol";
import type { AttestationClaims, AttestationVerifier } from "../attestation.js";
import { AttestationRejectedError } from "../attestation-rejected-error.js";
import { decodeCoseSign1, verifyCoseSign1Es384 } from "./cose-sign1.js";
import { parseNitroAttestationDocument } from "./nitro-attestation-document.js";
import { checkNitroBinding, type NitroBindingExpectation, nitroSignerAddress } from "./nitro-binding.js";
import {
  AWS_NITRO_ROOT_FINGERPRINT,
  normalizeFingerprint,
  type VerifiedCertificate,
  verifyNitroCertificateChain,
} from "./nitro-certificate-chain.js";
import { checkNitroPcrs, type NitroPcrAllowance } from "./nitro-pcr-policy.js";

/** Freshness window by default: a document older than this is stale (its leaf certificate lives ~3 hours). */
export const DEFAULT_NITRO_MAX_AGE_MS = 10 * 60_000;
const DEFAULT_CLOCK_SKEW_MS = 60_000;

export interface NitroVerifierOptions {
  /**
   * SHA-256 fingerprint (hex, colons allowed) of the one root to accept. Production leaves the default, the AWS
   * Nitro root; tests pin a root of their own to reach the checks behind the chain.
   */
  readonly rootFingerprint?: string;
  /** PCR allowlist (see `checkNitroPcrs`); omitted, the verifier establishes authenticity only. */
  readonly allowedPcrs?: readonly NitroPcrAllowance[];
  /** Oldest document accepted, by its `timestamp`, in milliseconds (default 10 minutes). */
  readonly maxAgeMs?: number;
  /** How far in the future a `timestamp` may be, in milliseconds (default 60 s). */
  readonly clockSkewMs?: number;
  /** Refuse documents without a `nonce` (challenge–response); a given expectation's nonce must then match. */
  readonly requireNonce?: boolean;
}

/** What a verified Nitro document says, beyond the claims every kind has. */
export interface NitroAttestationClaims extends AttestationClaims {
  readonly kind: "nitro";
  readonly simulated: false;
  readonly moduleId: string;
  readonly digest: "SHA384";
  readonly pcrs: Readonly<Record<number, string>>;
  /** The `public_key` field as sent, if any. */
  readonly publicKey?: Uint8Array;
  /** The Ethereum address of `public_key` when it is a secp256k1 key. */
  readonly signer?: Address;
  /** The verified chain, root first, leaf last. */
  readonly certificates: readonly VerifiedCertificate[];
}

function checkAllowance(entry: NitroPcrAllowance): void {
  const indices = Object.keys(entry);
  if (indices.length === 0) throw new RangeError("a PCR allowlist entry must name at least one PCR");
  for (const index of indices) {
    if (!/^([0-9]|[12][0-9]|3[01])$/.test(index)) throw new RangeError(`PCR index ${index} is not 0–31`);
    if (!/^[0-9a-fA-F]{96}$/.test(entry[Number(index)] ?? "")) {
      throw new RangeError(`PCR${index} must be 48 bytes of hex (SHA-384)`);
    }
  }
}

/**
 * Verifies AWS Nitro Enclaves attestation documents: COSE_Sign1 in strict CBOR, its ES384 signature under the
 * leaf certificate, the certificate chain to the pinned AWS root with every certificate valid at the injected
 * clock, then the policy: PCRs (no debug enclave; the allowlist), freshness of `timestamp`, the nonce, and, given an
 * expectation, the binding of `public_key`/`user_data` to the trainer (see `checkNitroBinding`). Every refusal is an
 * `AttestationRejectedError` naming the failed check.
 */
export class NitroAttestationVerifier implements AttestationVerifier {
  readonly kind = "nitro" as const;
  readonly #rootFingerprint: string;
  readonly #allowedPcrs: readonly NitroPcrAllowance[] | undefined;
  readonly #maxAgeMs: number;
  readonly #clockSkewMs: number;
  readonly #requireNonce: boolean;

  constructor(options: NitroVerifierOptions = {}) {
    this.#rootFingerprint = normalizeFingerprint(options.rootFingerprint ?? AWS_NITRO_ROOT_FINGERPRINT);
    options.allowedPcrs?.forEach(checkAllowance);
    this.#allowedPcrs = options.allowedPcrs;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_NITRO_MAX_AGE_MS;
    this.#clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    this.#requireNonce = options.requireNonce ?? false;
  }

  /** `AttestationVerifier`: verifies `document` as of `now` (Unix ms); with `expected`, also its binding. */
  async verify(document: Uint8Array, now: number, expected?: NitroBindingExpectation): Promise<NitroAttestationClaims> {
    return this.verifySync(document, now, expected);
  }

  /** The same check without a promise (benchmarks, command-line use). */
  verifySync(document: Uint8Array, now: number, expected?: NitroBindingExpectation): NitroAttestationClaims {
    const message = decodeCoseSign1(document);
    const fields = parseNitroAttestationDocument(message.payload);
    const chain = verifyNitroCertificateChain(fields.certificate, fields.cabundle, now, this.#rootFingerprint);
    verifyCoseSign1Es384(message, chain.leaf.publicKey);
    checkNitroPcrs(fields.pcrs, this.#allowedPcrs);
    const age = now - fields.timestamp;
    if (age < -this.#clockSkewMs) {
      throw new AttestationRejectedError("from-the-future", `timestamp is ${-age} ms in the future`, {
        timestamp: fields.timestamp,
      });
    }
    if (age > this.#maxAgeMs) {
      throw new AttestationRejectedError(
        "stale",
        `stale: issued ${age} ms before the check, the freshness window is ${this.#maxAgeMs} ms`,
        { timestamp: fields.timestamp, maxAgeMs: this.#maxAgeMs },
      );
    }
    if (this.#requireNonce && fields.nonce === undefined) {
      throw new AttestationRejectedError("nonce-mismatch", "nonce: the document carries none and one is required");
    }
    if (expected !== undefined) checkNitroBinding(fields, expected, this.#requireNonce);
    const pcrs: Record<number, string> = {};
    for (const [index, value] of [...fields.pcrs].sort(([a], [b]) => a - b)) {
      pcrs[index] = Buffer.from(value).toString("hex");
    }
    const signer = fields.publicKey === undefined ? undefined : nitroSignerAddress(fields.publicKey);
    return {
      kind: "nitro",
      simulated: false,
      // PCR0, the enclave image's measurement, identifies the enclave (as in AWS KMS's `ImageSha384` condition).
      measurement: pcrs[0] as string,
      userData: fields.userData ?? new Uint8Array(0),
      nonce: fields.nonce ?? new Uint8Array(0),
      issuedAt: fields.timestamp,
      moduleId: fields.moduleId,
      digest: fields.digest,
      pcrs,
      ...(fields.publicKey === undefined ? {} : { publicKey: fields.publicKey }),
      ...(signer === undefined ? {} : { signer }),
      certificates: chain.certificates,
    };
  }
}
