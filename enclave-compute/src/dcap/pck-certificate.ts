import type { X509Certificate } from "@peculiar/x509";
import { pemCertificates } from "./certificate-chain.js";
import { rejectDcap } from "./dcap-rejection.js";
import {
  DER_ENUMERATED,
  DER_INTEGER,
  DER_OCTET_STRING,
  DER_SEQUENCE,
  DerError,
  type DerNode,
  derElement,
  derElements,
  derOid,
  derUnsigned,
  expect,
} from "./der.js";
import type { DcapQuote } from "./quote-parser.js";

/** Intel's SGX extension of PCK certificates (Intel SGX PCK Certificate and CRL Profile, section 1.3.5). */
export const SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";
const TCB_OID = `${SGX_EXTENSION_OID}.2`;

/** What a PCK certificate says about its platform, from the SGX extension. */
export interface PckPlatform {
  readonly ppid: Uint8Array;
  /** The 16 SGX TCB component SVNs (`sgxtcbcompNNsvn`), compared with TCB info's `sgxtcbcomponents`. */
  readonly tcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Uint8Array;
  readonly pceId: Uint8Array;
  readonly fmspc: Uint8Array;
  /** 0 Standard, 1 Scalable, 2 Scalable with integrity. */
  readonly sgxType: number;
}

/** The direct children of the extension's top-level SEQUENCE, keyed by their OID. */
function fieldsByOid(sequence: DerNode): Map<string, DerNode> {
  const fields = new Map<string, DerNode>();
  for (const entry of derElements(expect(sequence, DER_SEQUENCE).content)) {
    const [oid, value] = derElements(expect(entry, DER_SEQUENCE).content);
    if (oid === undefined || value === undefined) throw new DerError("SGX extension entry without a value");
    fields.set(derOid(oid), value);
  }
  return fields;
}

function required(fields: Map<string, DerNode>, oid: string, tag: number): DerNode {
  const node = fields.get(oid);
  if (node === undefined) throw new DerError(`missing ${oid}`);
  return expect(node, tag);
}

function octets(fields: Map<string, DerNode>, oid: string, length: number): Uint8Array {
  const content = required(fields, oid, DER_OCTET_STRING).content;
  if (content.length !== length) throw new DerError(`${oid} has ${content.length} bytes, expected ${length}`);
  return content;
}

/** Reads the SGX extension of a PCK certificate (leaf of the quote's chain). */
export function readPckPlatform(certificate: X509Certificate): PckPlatform {
  const extension = certificate.getExtension(SGX_EXTENSION_OID);
  if (extension === null) return rejectDcap("malformed", "pck-certificate", "the PCK certificate has no SGX extension");
  try {
    const fields = fieldsByOid(derElement(new Uint8Array(extension.value), DER_SEQUENCE));
    const tcb = fieldsByOid(required(fields, TCB_OID, DER_SEQUENCE));
    const tcbComponents = Array.from({ length: 16 }, (_, index) =>
      derUnsigned(required(tcb, `${TCB_OID}.${index + 1}`, DER_INTEGER)),
    );
    if (tcbComponents.some((svn) => svn > 255)) throw new DerError("TCB component SVN above 255");
    return {
      ppid: octets(fields, `${SGX_EXTENSION_OID}.1`, 16),
      tcbComponents,
      pceSvn: derUnsigned(required(tcb, `${TCB_OID}.17`, DER_INTEGER)),
      cpuSvn: octets(tcb, `${TCB_OID}.18`, 16),
      pceId: octets(fields, `${SGX_EXTENSION_OID}.3`, 2),
      fmspc: octets(fields, `${SGX_EXTENSION_OID}.4`, 6),
      sgxType: derUnsigned(required(fields, `${SGX_EXTENSION_OID}.5`, DER_ENUMERATED)),
    };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    return rejectDcap("malformed", "pck-certificate", `unreadable SGX extension: ${error.message}`);
  }
}

/**
 * The FMSPC (hex) of the platform a quote names in its PCK certificate, read without verifying anything: it says
 * which collateral (TCB info is per FMSPC) to verify the quote with.
 */
export function quoteFmspc(quote: DcapQuote): string {
  const [leaf] = pemCertificates(quote.pckChainPem, "pck-certificate-chain");
  return Buffer.from(readPckPlatform(leaf as X509Certificate).fmspc).toString("hex");
}
