/** Size of an SGX enclave report body (`sgx_report_body_t`): the SGX quote's body and every QE report. */
export const ENCLAVE_REPORT_SIZE = 384;
/** Size of a TDX 1.0 TD report body (`sgx_report2_body_t`), the body of a TDX quote v4. */
export const TD_REPORT_SIZE = 584;

/** The fields of an SGX enclave report that verification and policy read (offsets from Intel's `sgx_report.h`). */
export interface EnclaveReport {
  /** The 384 bytes exactly as signed. */
  readonly raw: Uint8Array;
  readonly cpuSvn: Uint8Array;
  /** MISCSELECT as its 4 little-endian bytes. */
  readonly miscSelect: Uint8Array;
  readonly attributes: Uint8Array;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: Uint8Array;
}

/** The fields of a TDX 1.0 TD report (Intel TDX DCAP Quoting Library API, "TD Quote Body"). */
export interface TdReport {
  readonly raw: Uint8Array;
  /** TEE_TCB_SVN: [0] TDX module SVN, [1] TDX module major version, the rest compared with `tdxtcbcomponents`. */
  readonly teeTcbSvn: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  readonly tdAttributes: Uint8Array;
  readonly xfam: Uint8Array;
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  readonly rtmrs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly reportData: Uint8Array;
}

function field(raw: Uint8Array, offset: number, length: number): Uint8Array {
  return raw.subarray(offset, offset + length);
}

function u16(raw: Uint8Array, offset: number): number {
  return (raw[offset] ?? 0) | ((raw[offset + 1] ?? 0) << 8);
}

/** Parses exactly `ENCLAVE_REPORT_SIZE` bytes. */
export function parseEnclaveReport(raw: Uint8Array): EnclaveReport {
  if (raw.length !== ENCLAVE_REPORT_SIZE) throw new RangeError(`enclave report of ${raw.length} bytes`);
  return {
    raw,
    cpuSvn: field(raw, 0, 16),
    miscSelect: field(raw, 16, 4),
    attributes: field(raw, 48, 16),
    mrEnclave: field(raw, 64, 32),
    mrSigner: field(raw, 128, 32),
    isvProdId: u16(raw, 256),
    isvSvn: u16(raw, 258),
    reportData: field(raw, 320, 64),
  };
}

/** Parses exactly `TD_REPORT_SIZE` bytes. */
export function parseTdReport(raw: Uint8Array): TdReport {
  if (raw.length !== TD_REPORT_SIZE) throw new RangeError(`TD report of ${raw.length} bytes`);
  return {
    raw,
    teeTcbSvn: field(raw, 0, 16),
    mrSeam: field(raw, 16, 48),
    mrSignerSeam: field(raw, 64, 48),
    seamAttributes: field(raw, 112, 8),
    tdAttributes: field(raw, 120, 8),
    xfam: field(raw, 128, 8),
    mrTd: field(raw, 136, 48),
    mrConfigId: field(raw, 184, 48),
    mrOwner: field(raw, 232, 48),
    mrOwnerConfig: field(raw, 280, 48),
    rtmrs: [field(raw, 328, 48), field(raw, 376, 48), field(raw, 424, 48), field(raw, 472, 48)],
    reportData: field(raw, 520, 64),
  };
}

/** SGX ATTRIBUTES.DEBUG (bit 1 of the flags). */
export function isDebugEnclave(report: EnclaveReport): boolean {
  return ((report.attributes[0] ?? 0) & 0x02) !== 0;
}

/** TDX TD_ATTRIBUTES.TUD.DEBUG (bit 0). */
export function isDebugTd(report: TdReport): boolean {
  return ((report.tdAttributes[0] ?? 0) & 0x01) !== 0;
}
