import type { AttestationClaims } from "../attestation.js";
import type { QuoteBody } from "./quote-parser.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** What the quote measures, as lower-case hex (SVNs and ids as decimal strings), for policies and for display. */
export function quoteMeasurements(body: QuoteBody): Record<string, string> {
  if (body.kind === "sgx") {
    const report = body.report;
    return {
      mrEnclave: hex(report.mrEnclave),
      mrSigner: hex(report.mrSigner),
      isvProdId: String(report.isvProdId),
      isvSvn: String(report.isvSvn),
      attributes: hex(report.attributes),
    };
  }
  const report = body.report;
  return {
    mrTd: hex(report.mrTd),
    rtmr0: hex(report.rtmrs[0]),
    rtmr1: hex(report.rtmrs[1]),
    rtmr2: hex(report.rtmrs[2]),
    rtmr3: hex(report.rtmrs[3]),
    mrConfigId: hex(report.mrConfigId),
    mrOwner: hex(report.mrOwner),
    mrOwnerConfig: hex(report.mrOwnerConfig),
    mrSeam: hex(report.mrSeam),
    tdAttributes: hex(report.tdAttributes),
    xfam: hex(report.xfam),
  };
}

/**
 * The claims of a verified quote. Report data binding: the enclave puts `attestationUserData(…)` (32 bytes) in
 * REPORTDATA[0..32) and the coordinator's challenge nonce (32 bytes) in REPORTDATA[32..64); they come back as
 * `userData` and `nonce`. The measurement is MRENCLAVE for SGX and MRTD for TDX. A DCAP quote carries no
 * timestamp: its freshness is the nonce, so `issuedAt` is the verification time `now`.
 */
export function quoteClaims(body: QuoteBody, now: number): AttestationClaims {
  const reportData = body.report.reportData;
  return {
    kind: body.kind,
    simulated: false,
    measurement: hex(body.kind === "sgx" ? body.report.mrEnclave : body.report.mrTd),
    userData: Uint8Array.from(reportData.subarray(0, 32)),
    nonce: Uint8Array.from(reportData.subarray(32, 64)),
    issuedAt: now,
  };
}
