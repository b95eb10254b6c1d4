import { verify as verifySignature } from "node:crypto";
import type { X509Certificate, X509Crl } from "@peculiar/x509";
import {
  type ChainContext,
  certificateKey,
  hexCrl,
  pemCertificates,
  verifyChain,
  verifyCrl,
} from "./certificate-chain.js";
import { type DcapCollateral, parseQeIdentity, parseTcbInfo, type QeIdentity, type TcbInfo } from "./collateral.js";
import { rejectDcap } from "./dcap-rejection.js";

/** Collateral whose every piece verified to the pinned root and is valid at the verification time. */
export interface VerifiedCollateral {
  /** Chain context with the verified root CA CRL, for the PCK chain. */
  readonly context: ChainContext;
  readonly pckCrl: X509Crl;
  readonly tcbInfo: TcbInfo;
  readonly qeIdentity: QeIdentity;
}

/** Verifies a raw r ‖ s ECDSA P-256 / SHA-256 signature under a certificate's key. */
export function verifyRawEcdsa(data: Uint8Array, signature: Uint8Array, signer: X509Certificate): boolean {
  try {
    return verifySignature("sha256", data, { key: certificateKey(signer), dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

function checkWindow(issueDate: string, nextUpdate: string, now: Date, check: "tcb-info" | "qe-identity"): void {
  if (now < new Date(issueDate)) rejectDcap("not-yet-valid", check, `issued ${issueDate}, after the verification time`);
  if (now > new Date(nextUpdate)) rejectDcap("expired", check, `expired at its nextUpdate ${nextUpdate}`);
}

/**
 * Verifies one of Intel's signed JSON documents: its issuer chain (the TCB signing certificate) to the pinned root,
 * its signature over the exact text as Intel signed it, then parses it and checks `issueDate ≤ now ≤ nextUpdate`.
 */
async function verifySignedDocument<T extends { issueDate: string; nextUpdate: string }>(
  document: { text: string; signature: string; issuerChain: string },
  context: ChainContext,
  check: "tcb-info" | "qe-identity",
  parse: (text: string) => T,
): Promise<T> {
  const signer = await verifyChain(pemCertificates(document.issuerChain, check), context, check);
  if (!verifyRawEcdsa(Buffer.from(document.text, "utf8"), Buffer.from(document.signature, "hex"), signer)) {
    rejectDcap("bad-signature", check, `the signature does not verify under "${signer.subject}"`);
  }
  const parsed = parse(document.text);
  checkWindow(parsed.issueDate, parsed.nextUpdate, context.now, check);
  return parsed;
}

/**
 * Verifies the collateral (Intel QVL's `sgxAttestationVerify…` steps): the root CA CRL signed by the pinned root;
 * the PCK CRL signed by its issuer, itself chained to the root and not revoked; TCB info and QE identity signed by
 * the TCB signing certificate, chained to the root and not revoked; every certificate, CRL and document valid at
 * `now`.
 */
export async function verifyCollateral(
  collateral: DcapCollateral,
  root: X509Certificate,
  now: Date,
): Promise<VerifiedCollateral> {
  const rootCrl = await verifyCrl(hexCrl(collateral.root_ca_crl, "root-ca-crl"), root, now, "root-ca-crl");
  const context: ChainContext = { root, now, rootCrl };
  const pckCrlIssuer = await verifyChain(
    pemCertificates(collateral.pck_crl_issuer_chain, "pck-crl"),
    context,
    "pck-crl",
  );
  const pckCrl = await verifyCrl(hexCrl(collateral.pck_crl, "pck-crl"), pckCrlIssuer, now, "pck-crl");

  const tcbInfo = await verifySignedDocument(
    {
      text: collateral.tcb_info,
      signature: collateral.tcb_info_signature,
      issuerChain: collateral.tcb_info_issuer_chain,
    },
    context,
    "tcb-info",
    parseTcbInfo,
  );
  const qeIdentity = await verifySignedDocument(
    {
      text: collateral.qe_identity,
      signature: collateral.qe_identity_signature,
      issuerChain: collateral.qe_identity_issuer_chain,
    },
    context,
    "qe-identity",
    parseQeIdentity,
  );
  return { context, pckCrl, tcbInfo, qeIdentity };
}
