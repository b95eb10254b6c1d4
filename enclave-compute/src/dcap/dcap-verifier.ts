import { createHash, createPublicKey, type KeyObject, verify as verifySignature } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import type { AttestationClaims, AttestationVerifier } from "../attestation.js";
import { loadTrustAnchor, pemCertificates, verifyChain } from "./certificate-chain.js";
import { type DcapCollateral, parseDcapCollateral, type TcbStatus } from "./collateral.js";
import { type VerifiedCollateral, verifyCollateral, verifyRawEcdsa } from "./collateral-verifier.js";
import { rejectDcap } from "./dcap-rejection.js";
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from "./intel-root-ca.js";
import { type PckPlatform, readPckPlatform } from "./pck-certificate.js";
import { quoteClaims, quoteMeasurements } from "./quote-claims.js";
import { type DcapQuote, parseDcapQuote } from "./quote-parser.js";
import { isDebugEnclave, isDebugTd } from "./report-body.js";
import { enforceTcbPolicy, type TcbPolicy } from "./tcb-policy.js";
import { evaluateTcb, matchQeIdentity, type TcbEvaluation } from "./tcb-status.js";

export type DcapKind = "sgx" | "tdx";

/** Where `verify(document, now)` gets a quote's collateral: fixed, or looked up per quote (e.g. from a PCCS). */
export type DcapCollateralSource = DcapCollateral | ((quote: DcapQuote) => Promise<unknown>);

export interface DcapVerifierOptions {
  readonly kind: DcapKind;
  readonly collateral?: DcapCollateralSource;
  /** Defaults to `DEFAULT_TCB_POLICY`: `UpToDate` without advisories only. */
  readonly policy?: TcbPolicy;
  /**
   * The root to pin, as PEM. Defaults to Intel's SGX Root CA (checked against its published fingerprint). Only
   * tests pass another one, to verify chains and CRLs they built themselves.
   */
  readonly trustAnchorPem?: string;
}

/** Everything a successful verification established. */
export interface DcapVerification {
  readonly kind: DcapKind;
  readonly claims: AttestationClaims;
  readonly tcbStatus: TcbStatus;
  readonly advisoryIds: readonly string[];
  readonly tcb: TcbEvaluation;
  /** FMSPC of the platform (from its PCK certificate), hex. */
  readonly fmspc: string;
  readonly measurements: Readonly<Record<string, string>>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function attestationKey(raw: Uint8Array): KeyObject {
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: Buffer.from(raw.subarray(0, 32)).toString("base64url"),
    y: Buffer.from(raw.subarray(32, 64)).toString("base64url"),
  };
  try {
    return createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return rejectDcap("malformed", "quote-signature", "the attestation key is not a P-256 point");
  }
}

/** The PCK certificate chain the quote carries, verified to the pinned root and against the PCK CRL. */
async function verifyPckCertificate(quote: DcapQuote, collateral: VerifiedCollateral): Promise<X509Certificate> {
  const chain = pemCertificates(quote.pckChainPem, "pck-certificate-chain");
  const pck = await verifyChain(chain, collateral.context, "pck-certificate-chain");
  if (!pck.subjectName.getField("CN").some((name) => name.includes("SGX PCK Certificate"))) {
    rejectDcap("untrusted-chain", "pck-certificate", `"${pck.subject}" is not a PCK certificate`);
  }
  if (collateral.pckCrl.issuer !== pck.issuer) {
    rejectDcap(
      "collateral-mismatch",
      "pck-crl",
      `the PCK CRL is "${collateral.pckCrl.issuer}"'s, the PCK certificate is "${pck.issuer}"'s`,
    );
  }
  if (collateral.pckCrl.findRevoked(pck)) {
    rejectDcap("revoked", "pck-certificate", `the PCK certificate (serial ${pck.serialNumber}) is on the PCK CRL`);
  }
  return pck;
}

/** The collateral must be the one for this quote's TEE and platform. */
function checkCollateralFits(quote: DcapQuote, platform: PckPlatform, collateral: VerifiedCollateral): void {
  const { tcbInfo, qeIdentity } = collateral;
  const tdx = quote.body.kind === "tdx";
  if (tdx ? tcbInfo.id !== "TDX" || tcbInfo.version < 3 : tcbInfo.id !== "SGX") {
    rejectDcap(
      "collateral-mismatch",
      "tcb-info",
      `TCB info ${tcbInfo.id} v${tcbInfo.version} is not for ${quote.body.kind}`,
    );
  }
  if (tcbInfo.fmspc.toLowerCase() !== hex(platform.fmspc) || tcbInfo.pceId.toLowerCase() !== hex(platform.pceId)) {
    rejectDcap(
      "collateral-mismatch",
      "tcb-info",
      `TCB info is for FMSPC ${tcbInfo.fmspc}/PCEID ${tcbInfo.pceId}, the platform is ${hex(platform.fmspc)}/${hex(platform.pceId)}`,
    );
  }
  if (qeIdentity.id !== (tdx ? "TD_QE" : "QE")) {
    rejectDcap("collateral-mismatch", "qe-identity", `QE identity ${qeIdentity.id} is not for ${quote.body.kind}`);
  }
}

/** The QE report: signed by the PCK key, and binding the attestation key (QVL 4.1.2.4.12–13). */
function verifyQeReport(quote: DcapQuote, pck: X509Certificate): void {
  if (!verifyRawEcdsa(quote.qeReport.raw, quote.qeReportSignature, pck)) {
    rejectDcap("bad-signature", "qe-report-signature", "the QE report's signature does not verify under the PCK key");
  }
  const expected = createHash("sha256").update(quote.attestationKey).update(quote.qeAuthData).digest();
  const reportData = quote.qeReport.reportData;
  if (!expected.equals(reportData.subarray(0, 32)) || reportData.subarray(32).some((octet) => octet !== 0)) {
    rejectDcap(
      "bad-signature",
      "qe-report-data",
      "QE report data is not SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes",
    );
  }
}

/**
 * Intel DCAP quote verification for SGX (quote v3) or TDX (quote v4) ECDSA quotes, following Intel's Quote
 * Verification Library: collateral to the pinned Intel SGX Root CA, PCK chain and CRLs, QE report and quote
 * signatures, QE identity, TCB level and status, then the TCB policy. Every refusal is an
 * `AttestationRejectedError` whose message starts with the failed check (see `DcapCheck`).
 */
export class DcapAttestationVerifier implements AttestationVerifier {
  readonly kind: DcapKind;
  readonly #options: DcapVerifierOptions;
  #root: Promise<X509Certificate> | undefined;

  constructor(options: DcapVerifierOptions) {
    this.kind = options.kind;
    this.#options = options;
  }

  /** Verifies a quote with the collateral from the configured source; see `verifyQuote`. */
  async verify(document: Uint8Array, now: number): Promise<AttestationClaims> {
    const source = this.#options.collateral;
    if (source === undefined) rejectDcap("malformed", "collateral-format", "no collateral source is configured");
    const collateral = typeof source === "function" ? await source(parseDcapQuote(document)) : source;
    return (await this.verifyQuote(document, collateral, now)).claims;
  }

  /** Verifies `quote` with `collateral` (the vectors' JSON, parsed) as of `now` (Unix ms), then the TCB policy. */
  async verifyQuote(quoteBytes: Uint8Array, collateral: unknown, now: number): Promise<DcapVerification> {
    const quote = parseDcapQuote(quoteBytes);
    if (quote.body.kind !== this.kind) {
      rejectDcap("malformed", "quote-format", `the quote is ${quote.body.kind}, this verifier checks ${this.kind}`);
    }
    const root = await this.#trustAnchor();
    const verified = await verifyCollateral(parseDcapCollateral(collateral), root, new Date(now));
    const pck = await verifyPckCertificate(quote, verified);
    const platform = readPckPlatform(pck);
    checkCollateralFits(quote, platform, verified);
    verifyQeReport(quote, pck);
    const qe = matchQeIdentity(quote.qeReport, verified.qeIdentity);
    if (
      !verifySignature(
        "sha256",
        quote.signedBytes,
        { key: attestationKey(quote.attestationKey), dsaEncoding: "ieee-p1363" },
        quote.signature,
      )
    ) {
      rejectDcap(
        "bad-signature",
        "quote-signature",
        "the attestation key's signature over header ‖ body does not verify",
      );
    }
    const tcb = evaluateTcb(verified.tcbInfo, platform, quote.body, qe);
    if (quote.body.kind === "sgx" ? isDebugEnclave(quote.body.report) : isDebugTd(quote.body.report)) {
      rejectDcap("debug-enclave", "debug", `the ${quote.body.kind} report has its DEBUG attribute set`);
    }
    enforceTcbPolicy(tcb, this.#options.policy);
    return {
      kind: this.kind,
      claims: quoteClaims(quote.body, now),
      tcbStatus: tcb.status,
      advisoryIds: tcb.advisoryIds,
      tcb,
      fmspc: hex(platform.fmspc),
      measurements: quoteMeasurements(quote.body),
    };
  }

  #trustAnchor(): Promise<X509Certificate> {
    const pem = this.#options.trustAnchorPem;
    this.#root ??=
      pem === undefined ? loadTrustAnchor(INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256) : loadTrustAnchor(pem);
    return this.#root;
  }
}
