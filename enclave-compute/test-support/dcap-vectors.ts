import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { AttestationRejectedError } from "../src/attestation-rejected-error.js";

/** The real DCAP vectors in `test/vectors/dcap/` and their sha256, as its README lists them. */
export const DCAP_VECTOR_SHA256: Readonly<Record<string, string>> = {
  sgx_quote: "f8b81014b6e443609746822194910f5dc1c92c322fa0584298d1e33e505ca3b5",
  "sgx_quote_collateral.json": "bdd694bbe50f3a2a1cfe12f9e2bd83125921107a368edcf10780a5523b8501ce",
  tdx_quote: "c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db",
  "tdx_quote_collateral.json": "b0a5f5fd620a8881b1eda45261fdf30dd930b49aff93231556645c81fcb4c0bc",
};

const DIRECTORY = new URL("../../test/vectors/dcap/", import.meta.url);

/** Reads one vector file, refusing it unless its sha256 is the recorded one. */
export function readDcapVectorFile(name: string): Buffer {
  const bytes = readFileSync(new URL(name, DIRECTORY));
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== DCAP_VECTOR_SHA256[name]) throw new Error(`test/vectors/dcap/${name} has sha256 ${digest}`);
  return bytes;
}

/** The collateral as the vectors store it (dcap-qvl's QuoteCollateralV3 JSON). */
export interface VectorCollateral {
  pck_crl_issuer_chain: string;
  root_ca_crl: string;
  pck_crl: string;
  tcb_info_issuer_chain: string;
  tcb_info: string;
  tcb_info_signature: string;
  qe_identity_issuer_chain: string;
  qe_identity: string;
  qe_identity_signature: string;
}

export interface DcapVector {
  readonly quote: Buffer;
  readonly collateral: VectorCollateral;
}

export function readDcapVector(kind: "sgx" | "tdx"): DcapVector {
  return {
    quote: readDcapVectorFile(`${kind}_quote`),
    collateral: JSON.parse(readDcapVectorFile(`${kind}_quote_collateral.json`).toString("utf8")) as VectorCollateral,
  };
}

/**
 * Where the signed regions lie in the vectors, from Intel's quote layouts (SGX DCAP quote v3: 48-byte header,
 * 384-byte report body, u32 signature length, 64-byte signature, 64-byte attestation key, 384-byte QE report;
 * TDX quote v4: 584-byte TD report body, and a 6-byte type-6 certification data header before the QE report).
 * Written here from the specification, independently of the verifier's parser.
 */
export const QUOTE_REGIONS = {
  sgx: { header: [0, 48], body: [48, 432], signature: [436, 500], attestationKey: [500, 564], qeReport: [564, 948] },
  tdx: { header: [0, 48], body: [48, 632], signature: [636, 700], attestationKey: [700, 764], qeReport: [770, 1154] },
} as const;

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

/** How a verification ended: `accepted`, or the rejection's reason, failed check and message. */
export async function dcapOutcome(
  promise: Promise<unknown>,
): Promise<{ reason: string; check: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AttestationRejectedError)) throw error;
    return { reason: error.reason, check: String(error.details.check), message: error.message };
  }
  return { reason: "accepted", check: "", message: "" };
}
