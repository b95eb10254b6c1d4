import {
  AttestationRejectedError,
  DcapAttestationVerifier,
  DEFAULT_NITRO_MAX_AGE_MS,
  NitroAttestationVerifier,
  type NitroPcrAllowance,
  type TcbPolicy,
} from "@tributary/enclave-compute";
import type { Address } from "@tributary/protocol";

export type AttestKind = "nitro" | "sgx" | "tdx";

/** What `tributary attest verify` checks a document against. */
export interface AttestVerifyRequest {
  readonly kind: AttestKind;
  readonly document: Uint8Array;
  /** The DCAP collateral (dcap-qvl's QuoteCollateralV3 JSON, parsed); sgx and tdx only. */
  readonly collateral?: unknown;
  /** Verification time, Unix milliseconds. */
  readonly now: number;
  /** Whether `now` was given (`--at`) rather than the clock's: then Nitro freshness is unbounded by default. */
  readonly atGiven: boolean;
  /** Nitro: the freshness window in milliseconds (default 10 minutes as of now, unbounded with `--at`). */
  readonly maxAgeMs?: number;
  /** Nitro: the PCR allowlist. */
  readonly allowedPcrs?: readonly NitroPcrAllowance[];
  /** Nitro: the address `public_key` must belong to. */
  readonly signer?: Address;
  /** SGX/TDX: the TCB policy (`UpToDate` without advisories by default). */
  readonly tcbPolicy?: TcbPolicy;
}

/** A document that verified, and what it establishes. */
export interface ValidAttestation {
  readonly valid: true;
  readonly kind: AttestKind;
  /** Verification time, Unix seconds. */
  readonly at: number;
  /** The enclave's identity: PCR0 (Nitro), MRENCLAVE (SGX) or MRTD (TDX), lower-case hex. */
  readonly measurement: string;
  /** Every measurement the document carries: Nitro's PCRs (`pcr0`…), SGX's or TDX's report fields. */
  readonly measurements: Readonly<Record<string, string>>;
  readonly tcbStatus?: string;
  readonly advisoryIds?: readonly string[];
  /** SGX/TDX: the platform's FMSPC. */
  readonly fmspc?: string;
  /** SGX/TDX: REPORTDATA (64 bytes, hex). */
  readonly reportData?: string;
  /** Nitro: when the NSM signed it (Unix seconds), its module id, and the address of its `public_key`. */
  readonly issuedAt?: number;
  readonly moduleId?: string;
  readonly signer?: string;
}

/** A document refused: the rejection's reason, the check that failed, and its message. */
export interface InvalidAttestation {
  readonly valid: false;
  readonly kind: AttestKind;
  readonly at: number;
  readonly reason: string;
  readonly check: string;
  readonly message: string;
}

export type AttestationVerdict = ValidAttestation | InvalidAttestation;

/** Which step of a Nitro verification a refusal's reason comes from (see `NitroAttestationVerifier`). */
const NITRO_CHECKS: Readonly<Record<string, string>> = {
  malformed: "cose-payload",
  "root-not-pinned": "certificate-chain",
  "certificate-chain": "certificate-chain",
  expired: "certificate-validity",
  "not-yet-valid": "certificate-validity",
  "bad-signature": "cose-signature",
  "debug-enclave": "pcrs",
  "pcr-not-allowed": "pcrs",
  stale: "freshness",
  "from-the-future": "freshness",
  "nonce-mismatch": "binding",
  "public-key-mismatch": "binding",
  "user-data-mismatch": "binding",
  "key-not-bound": "binding",
};

async function verifyNitro(request: AttestVerifyRequest): Promise<Omit<ValidAttestation, "valid" | "kind" | "at">> {
  const maxAgeMs = request.maxAgeMs ?? (request.atGiven ? Number.MAX_SAFE_INTEGER : DEFAULT_NITRO_MAX_AGE_MS);
  const verifier = new NitroAttestationVerifier({
    maxAgeMs,
    ...(request.allowedPcrs === undefined ? {} : { allowedPcrs: request.allowedPcrs }),
  });
  const claims = await verifier.verify(
    request.document,
    request.now,
    request.signer === undefined ? undefined : { signer: request.signer },
  );
  return {
    measurement: claims.measurement,
    measurements: Object.fromEntries(Object.entries(claims.pcrs).map(([index, value]) => [`pcr${index}`, value])),
    issuedAt: Math.floor(claims.issuedAt / 1000),
    moduleId: claims.moduleId,
    ...(claims.signer === undefined ? {} : { signer: claims.signer }),
  };
}

async function verifyDcap(
  request: AttestVerifyRequest & { kind: "sgx" | "tdx" },
): Promise<Omit<ValidAttestation, "valid" | "kind" | "at">> {
  const verifier = new DcapAttestationVerifier({
    kind: request.kind,
    ...(request.tcbPolicy === undefined ? {} : { policy: request.tcbPolicy }),
  });
  const result = await verifier.verifyQuote(request.document, request.collateral, request.now);
  return {
    measurement: result.claims.measurement,
    measurements: result.measurements,
    tcbStatus: result.tcbStatus,
    advisoryIds: result.advisoryIds,
    fmspc: result.fmspc,
    reportData: Buffer.concat([result.claims.userData, result.claims.nonce]).toString("hex"),
  };
}

/**
 * Verifies one attestation document as of `request.now` with enclave-compute's verifiers: Nitro to the pinned AWS
 * root, SGX/TDX to the pinned Intel SGX Root CA with the given collateral. A refusal is a verdict (`valid: false`
 * with its reason and failed check), not an exception; anything else propagates.
 */
export async function verifyAttestation(request: AttestVerifyRequest): Promise<AttestationVerdict> {
  const base = { kind: request.kind, at: Math.floor(request.now / 1000) };
  try {
    const established =
      request.kind === "nitro" ? await verifyNitro(request) : await verifyDcap({ ...request, kind: request.kind });
    return { valid: true, ...base, ...established };
  } catch (error) {
    if (!(error instanceof AttestationRejectedError)) throw error;
    const check =
      typeof error.details.check === "string" ? error.details.check : (NITRO_CHECKS[error.reason] ?? error.reason);
    return { valid: false, ...base, reason: error.reason, check, message: error.message };
  }
}
