import { rejectDcap } from "./dcap-rejection.js";
import {
  ENCLAVE_REPORT_SIZE,
  type EnclaveReport,
  parseEnclaveReport,
  parseTdReport,
  TD_REPORT_SIZE,
  type TdReport,
} from "./report-body.js";

export const QUOTE_HEADER_SIZE = 48;
export const TEE_TYPE_SGX = 0x00000000;
export const TEE_TYPE_TDX = 0x00000081;
/** Attestation key type 2: ECDSA-256-with-P-256 curve. */
const ECDSA_P256 = 2;
/** Intel's QE vendor id (939A7233-F79C-4CA9-940A-0DB3957F0607). */
export const INTEL_QE_VENDOR_ID = "939a7233f79c4ca9940a0db3957f0607";
/** Certification data type 5: PCK leaf ‖ PCK CA ‖ root, concatenated PEM. */
const CERT_TYPE_PCK_CHAIN = 5;
/** Certification data type 6 (quote v4): QE report certification data, which nests the type-5 chain. */
const CERT_TYPE_QE_REPORT = 6;

export interface QuoteHeader {
  readonly version: number;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

export type QuoteBody =
  | { readonly kind: "sgx"; readonly report: EnclaveReport }
  | { readonly kind: "tdx"; readonly report: TdReport };

/** A DCAP ECDSA quote (v3 for SGX, v4 for SGX or TDX), split into the pieces verification needs. */
export interface DcapQuote {
  readonly header: QuoteHeader;
  readonly body: QuoteBody;
  /** Header ‖ body: the bytes the attestation key signs. */
  readonly signedBytes: Uint8Array;
  /** ECDSA P-256 signature over `signedBytes`, r ‖ s (64 bytes). */
  readonly signature: Uint8Array;
  /** The attestation key as x ‖ y (64 bytes). */
  readonly attestationKey: Uint8Array;
  readonly qeReport: EnclaveReport;
  /** The PCK key's ECDSA signature over the QE report, r ‖ s. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** The PCK certificate chain the quote carries (leaf first), as PEM text. */
  readonly pckChainPem: string;
}

class QuoteReader {
  #offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number = bytes.length,
  ) {}

  get offset(): number {
    return this.#offset;
  }

  take(length: number, what: string): Uint8Array {
    if (this.#offset + length > this.end) {
      rejectDcap("malformed", "quote-format", `${what} at byte ${this.#offset} runs past its container`);
    }
    const slice = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  u16(what: string): number {
    const [low = 0, high = 0] = this.take(2, what);
    return low | (high << 8);
  }

  u32(what: string): number {
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = this.take(4, what);
    return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
  }

  /** A reader over the next `length` bytes, advancing this one past them. */
  sub(length: number, what: string): QuoteReader {
    const start = this.#offset;
    this.take(length, what);
    const reader = new QuoteReader(this.bytes, start + length);
    reader.#offset = start;
    return reader;
  }

  finish(what: string): void {
    if (this.#offset !== this.end) {
      rejectDcap("malformed", "quote-format", `${this.end - this.#offset} unexpected bytes after ${what}`);
    }
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function readHeader(reader: QuoteReader): QuoteHeader {
  const version = reader.u16("version");
  const attestationKeyType = reader.u16("attestation key type");
  const teeType = reader.u32("TEE type");
  reader.take(4, "reserved (QE and PCE SVN)");
  const qeVendorId = reader.take(16, "QE vendor id");
  const userData = reader.take(20, "user data");
  if (version !== 3 && version !== 4) rejectDcap("malformed", "quote-format", `unsupported quote version ${version}`);
  if (teeType !== TEE_TYPE_SGX && teeType !== TEE_TYPE_TDX) {
    rejectDcap("malformed", "quote-format", `unknown TEE type 0x${teeType.toString(16)}`);
  }
  if (version === 3 && teeType !== TEE_TYPE_SGX) rejectDcap("malformed", "quote-format", "a v3 quote must be SGX");
  if (attestationKeyType !== ECDSA_P256) {
    rejectDcap("malformed", "quote-format", `attestation key type ${attestationKeyType} is not ECDSA P-256`);
  }
  if (hex(qeVendorId) !== INTEL_QE_VENDOR_ID) {
    rejectDcap("malformed", "quote-format", `QE vendor ${hex(qeVendorId)} is not Intel's`);
  }
  return { version, attestationKeyType, teeType, qeVendorId, userData };
}

function readCertificationData(reader: QuoteReader, expectedType: number): QuoteReader {
  const type = reader.u16("certification data type");
  if (type !== expectedType) {
    rejectDcap("malformed", "quote-format", `certification data type ${type}, expected ${expectedType}`);
  }
  return reader.sub(reader.u32("certification data size"), "certification data");
}

function readPckChain(reader: QuoteReader): string {
  const data = readCertificationData(reader, CERT_TYPE_PCK_CHAIN);
  const pem = Buffer.from(data.take(data.end - data.offset, "PCK certificate chain")).toString("latin1");
  data.finish("the PCK certificate chain");
  return pem;
}

/**
 * Parses a DCAP quote. Refuses (`malformed`, check `quote-format`) anything but an Intel ECDSA P-256 quote v3/v4
 * whose sizes add up exactly; bytes after the signature data are tolerated only when all zero (quotes read from
 * the TDX `configfs-tsm` interface come padded).
 */
export function parseDcapQuote(bytes: Uint8Array): DcapQuote {
  const reader = new QuoteReader(bytes);
  const header = readHeader(reader);
  const isTdx = header.teeType === TEE_TYPE_TDX;
  const rawBody = reader.take(isTdx ? TD_REPORT_SIZE : ENCLAVE_REPORT_SIZE, "report body");
  const body: QuoteBody = isTdx
    ? { kind: "tdx", report: parseTdReport(rawBody) }
    : { kind: "sgx", report: parseEnclaveReport(rawBody) };
  const signedBytes = bytes.subarray(0, reader.offset);
  const signatureData = reader.sub(reader.u32("signature data length"), "signature data");
  const signature = signatureData.take(64, "quote signature");
  const attestationKey = signatureData.take(64, "attestation key");
  const qeData = header.version === 3 ? signatureData : readCertificationData(signatureData, CERT_TYPE_QE_REPORT);
  const qeReport = parseEnclaveReport(qeData.take(ENCLAVE_REPORT_SIZE, "QE report"));
  const qeReportSignature = qeData.take(64, "QE report signature");
  const qeAuthData = qeData.take(qeData.u16("QE auth data size"), "QE auth data");
  const pckChainPem = readPckChain(qeData);
  qeData.finish("the QE certification data");
  signatureData.finish("the signature data");
  const padding = bytes.subarray(reader.offset);
  if (padding.some((octet) => octet !== 0)) {
    rejectDcap("malformed", "quote-format", `${padding.length} bytes after the signature data are not zero padding`);
  }
  return {
    header,
    body,
    signedBytes,
    signature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckChainPem,
  };
}
