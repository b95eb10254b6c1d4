import type { IsvSvnLevel, QeIdentity, TcbInfo, TcbLevel, TcbStatus } from "./collateral.js";
import { rejectDcap } from "./dcap-rejection.js";
import type { PckPlatform } from "./pck-certificate.js";
import type { QuoteBody } from "./quote-parser.js";
import type { EnclaveReport, TdReport } from "./report-body.js";

/** A TCB status with the advisories Intel lists for the matched level. */
export interface TcbVerdict {
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
}

/** The outcome of TCB evaluation: the converged status and each part it came from. */
export interface TcbEvaluation extends TcbVerdict {
  /** The platform's TCB level (for TDX, the level that also matched the TEE TCB SVN). */
  readonly platform: TcbVerdict;
  readonly qe: TcbVerdict;
  /** TDX only: the TDX module's level from `tdxModuleIdentities` (absent for module version 0). */
  readonly tdxModule?: TcbVerdict;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const bytes = (text: string): Buffer => Buffer.from(text, "hex");

function maskedEqual(actual: Uint8Array, mask: Buffer, expected: Buffer): boolean {
  return (
    actual.length === expected.length &&
    actual.every((octet, index) => (octet & (mask[index] ?? 0)) === expected[index])
  );
}

/**
 * Intel's convergence (QVL `convergeTcbStatusWith…`): an out-of-date QE or TDX module makes an otherwise
 * acceptable level `OutOfDate` (or `OutOfDateConfigurationNeeded` when configuration was needed), a revoked one
 * makes it `Revoked`; the advisories of both are kept (union, first seen first).
 */
export function convergeTcb(level: TcbVerdict, other: TcbVerdict): TcbVerdict {
  let status = level.status;
  if (other.status === "Revoked") status = "Revoked";
  else if (other.status === "OutOfDate") {
    if (status === "UpToDate" || status === "SWHardeningNeeded") status = "OutOfDate";
    else if (status === "ConfigurationNeeded" || status === "ConfigurationAndSWHardeningNeeded") {
      status = "OutOfDateConfigurationNeeded";
    }
  }
  return { status, advisoryIds: [...new Set([...level.advisoryIds, ...other.advisoryIds])] };
}

function verdict(level: { tcbStatus: TcbStatus; advisoryIDs: readonly string[] }): TcbVerdict {
  return { status: level.tcbStatus, advisoryIds: level.advisoryIDs };
}

/** The first level (highest ISVSVN first) whose ISVSVN the enclave reaches. */
function isvSvnLevel(levels: readonly IsvSvnLevel[], isvSvn: number): IsvSvnLevel | undefined {
  return [...levels].sort((a, b) => b.tcb.isvsvn - a.tcb.isvsvn).find((level) => isvSvn >= level.tcb.isvsvn);
}

/** Matches the QE report against the signed QE identity (Intel QVL 4.1.2.9.5–10) and returns the QE's TCB. */
export function matchQeIdentity(report: EnclaveReport, identity: QeIdentity): TcbVerdict {
  if (!maskedEqual(report.miscSelect, bytes(identity.miscselectMask), bytes(identity.miscselect))) {
    rejectDcap("identity-mismatch", "qe-identity-match", `QE MISCSELECT ${hex(report.miscSelect)} does not match`);
  }
  if (!maskedEqual(report.attributes, bytes(identity.attributesMask), bytes(identity.attributes))) {
    rejectDcap("identity-mismatch", "qe-identity-match", `QE ATTRIBUTES ${hex(report.attributes)} do not match`);
  }
  if (hex(report.mrSigner) !== identity.mrsigner.toLowerCase()) {
    rejectDcap("identity-mismatch", "qe-identity-match", `QE MRSIGNER ${hex(report.mrSigner)} is not Intel's`);
  }
  if (report.isvProdId !== identity.isvprodid) {
    rejectDcap(
      "identity-mismatch",
      "qe-identity-match",
      `QE ISVPRODID ${report.isvProdId}, expected ${identity.isvprodid}`,
    );
  }
  const level = isvSvnLevel(identity.tcbLevels, report.isvSvn);
  if (level === undefined) {
    return rejectDcap("tcb-not-allowed", "qe-identity-match", `QE ISVSVN ${report.isvSvn} is below every QE TCB level`);
  }
  return verdict(level);
}

function compareSvns(a: readonly { svn: number }[], b: readonly { svn: number }[]): number {
  for (const [index, component] of a.entries()) {
    const difference = component.svn - (b[index]?.svn ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Intel's level order (QVL `TcbLevel::operator>`), highest first: SGX components, then PCE SVN, then TDX components. */
function sortedLevels(tcbInfo: TcbInfo): TcbLevel[] {
  const tdx = tcbInfo.id === "TDX";
  return [...tcbInfo.tcbLevels].sort((a, b) => {
    const sgx = compareSvns(b.tcb.sgxtcbcomponents, a.tcb.sgxtcbcomponents);
    if (sgx !== 0) return sgx;
    if (tdx && a.tcb.pcesvn === b.tcb.pcesvn) {
      return compareSvns(b.tcb.tdxtcbcomponents ?? [], a.tcb.tdxtcbcomponents ?? []);
    }
    return b.tcb.pcesvn - a.tcb.pcesvn;
  });
}

function reachesSgxLevel(platform: PckPlatform, level: TcbLevel): boolean {
  return (
    platform.pceSvn >= level.tcb.pcesvn &&
    level.tcb.sgxtcbcomponents.every((component, index) => (platform.tcbComponents[index] ?? 0) >= component.svn)
  );
}

/** TEE TCB SVN against `tdxtcbcomponents`; bytes 0 and 1 are the TDX module's own when its version is above 0. */
function reachesTdxLevel(report: TdReport, level: TcbLevel): boolean {
  const components = level.tcb.tdxtcbcomponents;
  if (components === undefined) {
    return rejectDcap("malformed", "tcb-info", "a TDX TCB level has no tdxtcbcomponents");
  }
  const first = (report.teeTcbSvn[1] ?? 0) > 0 ? 2 : 0;
  return components.every((component, index) => index < first || (report.teeTcbSvn[index] ?? 0) >= component.svn);
}

/**
 * Checks the TDX module against TCB info (QVL 4.1.2.4.11 and 4.1.2.4.17.4.1): MRSIGNERSEAM and SEAMATTRIBUTES must
 * match `tdxModule`, or for module version V > 0 the identity `TDX_0V`, whose levels give the module's TCB by
 * its ISVSVN (TEE TCB SVN byte 0).
 */
export function checkTdxModule(tcbInfo: TcbInfo, report: TdReport): TcbVerdict | undefined {
  const version = report.teeTcbSvn[1] ?? 0;
  const wanted = `TDX_${version.toString(16).toUpperCase().padStart(2, "0")}`;
  const identity =
    version > 0 ? tcbInfo.tdxModuleIdentities?.find((candidate) => candidate.id.toUpperCase() === wanted) : undefined;
  const expected = identity ?? tcbInfo.tdxModule;
  if (expected === undefined) {
    return rejectDcap("identity-mismatch", "tdx-module", `TCB info has no identity for TDX module ${wanted}`);
  }
  if (hex(report.mrSignerSeam) !== expected.mrsigner.toLowerCase()) {
    rejectDcap(
      "identity-mismatch",
      "tdx-module",
      `MRSIGNERSEAM ${hex(report.mrSignerSeam)} is not the module's signer`,
    );
  }
  if (!maskedEqual(report.seamAttributes, bytes(expected.attributesMask), bytes(expected.attributes))) {
    rejectDcap("identity-mismatch", "tdx-module", `SEAMATTRIBUTES ${hex(report.seamAttributes)} do not match`);
  }
  if (version === 0) return undefined;
  if (identity === undefined) {
    return rejectDcap("identity-mismatch", "tdx-module", `TCB info has no identity for TDX module ${wanted}`);
  }
  const level = isvSvnLevel(identity.tcbLevels, report.teeTcbSvn[0] ?? 0);
  if (level === undefined) {
    return rejectDcap("tcb-not-allowed", "tdx-module", `TDX module SVN ${report.teeTcbSvn[0]} is below every level`);
  }
  return verdict(level);
}

/**
 * Intel's TCB evaluation (QVL 4.1.2.4.17): the first level (in Intel's order) the PCK certificate's SGX components
 * and PCE SVN reach, for TDX the first that the TEE TCB SVN also reaches; converged with the TDX module's and
 * the QE's TCB. Refuses (`tcb-not-allowed`, check `tcb-level`) a platform below every level.
 */
export function evaluateTcb(tcbInfo: TcbInfo, platform: PckPlatform, body: QuoteBody, qe: TcbVerdict): TcbEvaluation {
  const levels = sortedLevels(tcbInfo).filter((level) => reachesSgxLevel(platform, level));
  const level = body.kind === "tdx" ? levels.find((candidate) => reachesTdxLevel(body.report, candidate)) : levels[0];
  if (level === undefined) {
    return rejectDcap(
      "tcb-not-allowed",
      "tcb-level",
      `the platform is below every ${tcbInfo.id} TCB level (TCB not supported)`,
    );
  }
  const platformVerdict = verdict(level);
  if (body.kind === "sgx") return { ...convergeTcb(platformVerdict, qe), platform: platformVerdict, qe };
  const tdxModule = checkTdxModule(tcbInfo, body.report);
  const withModule = tdxModule === undefined ? platformVerdict : convergeTcb(platformVerdict, tdxModule);
  return {
    ...convergeTcb(withModule, qe),
    platform: platformVerdict,
    qe,
    ...(tdxModule === undefined ? {} : { tdxModule }),
  };
}
