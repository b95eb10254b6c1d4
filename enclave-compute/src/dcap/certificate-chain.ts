import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first
import { createPublicKey, type KeyObject } from "node:crypto";
import { BasicConstraintsExtension, X509Certificate, X509Crl } from "@peculiar/x509";
import { type DcapCheck, rejectDcap } from "./dcap-rejection.js";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM text, in order (leaf first for Intel's chains); anything else is ignored. */
export function pemCertificates(text: string, check: DcapCheck): X509Certificate[] {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) rejectDcap("malformed", check, "no PEM certificate found");
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      return rejectDcap("malformed", check, `unreadable certificate: ${(error as Error).message}`);
    }
  });
}

/** Parses one DER certificate revocation list given as hex. */
export function hexCrl(hex: string, check: DcapCheck): X509Crl {
  try {
    return new X509Crl(Buffer.from(hex, "hex"));
  } catch (error) {
    return rejectDcap("malformed", check, `unreadable CRL: ${(error as Error).message}`);
  }
}

/** The certificate's public key as a node:crypto key, for verifying raw ECDSA signatures. */
export function certificateKey(certificate: X509Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(certificate.publicKey.rawData), format: "der", type: "spki" });
}

function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

function isCa(certificate: X509Certificate): boolean {
  return certificate.getExtension(BasicConstraintsExtension)?.ca === true;
}

/** Refuses a certificate outside its validity window at `now`. */
export function checkValidity(certificate: X509Certificate, now: Date, check: DcapCheck): void {
  const name = certificate.subject;
  if (now < certificate.notBefore) {
    rejectDcap(
      "not-yet-valid",
      check,
      `certificate "${name}" is valid only from ${certificate.notBefore.toISOString()}`,
    );
  }
  if (now > certificate.notAfter) {
    rejectDcap("expired", check, `certificate "${name}" expired at ${certificate.notAfter.toISOString()}`);
  }
}

/** Context for verifying chains: the pinned anchor, the clock and (once verified) the root CA's CRL. */
export interface ChainContext {
  readonly root: X509Certificate;
  readonly now: Date;
  readonly rootCrl?: X509Crl;
}

/**
 * Verifies `chain` (leaf first) up to the pinned root: every certificate equal to the pinned root is dropped (a
 * chain may or may not carry it), each remaining one must be named, signed and certified (CA) by the next, the
 * last by the pinned root itself, all valid at `now`; certificates the root signed directly must not be on the
 * root CA's CRL. A root the chain carries that is not the pinned one is just another link that fails. Returns the
 * leaf.
 */
export async function verifyChain(
  chain: readonly X509Certificate[],
  context: ChainContext,
  check: DcapCheck,
): Promise<X509Certificate> {
  const links = chain.filter((certificate) => !sameCertificate(certificate, context.root));
  const [leaf] = links;
  if (leaf === undefined) return rejectDcap("malformed", check, "the chain holds no certificate below the root");
  checkValidity(context.root, context.now, "trust-anchor");
  for (const [index, certificate] of links.entries()) {
    const issuer = links[index + 1] ?? context.root;
    checkValidity(certificate, context.now, check);
    if (certificate.issuer !== issuer.subject || !isCa(issuer)) {
      rejectDcap(
        "untrusted-chain",
        check,
        `"${certificate.subject}" is not issued by "${issuer.subject}"${issuer === context.root ? ", the pinned Intel SGX Root CA" : ""}`,
      );
    }
    if (!(await certificate.verify({ publicKey: issuer, signatureOnly: true }))) {
      rejectDcap(
        "untrusted-chain",
        check,
        `the signature on "${certificate.subject}" does not verify under its issuer's key`,
      );
    }
    if (issuer === context.root && context.rootCrl?.findRevoked(certificate)) {
      rejectDcap(
        "revoked",
        check,
        `"${certificate.subject}" (serial ${certificate.serialNumber}) is on the root CA's CRL`,
      );
    }
  }
  return leaf;
}

/**
 * Verifies a CRL against the certificate that must have issued it: same issuer name, signature by its key, and
 * `thisUpdate ≤ now ≤ nextUpdate`.
 */
export async function verifyCrl(crl: X509Crl, issuer: X509Certificate, now: Date, check: DcapCheck): Promise<X509Crl> {
  if (crl.issuer !== issuer.subject) {
    rejectDcap("untrusted-chain", check, `the CRL is issued by "${crl.issuer}", expected "${issuer.subject}"`);
  }
  if (!(await crl.verify({ publicKey: issuer }))) {
    rejectDcap("bad-signature", check, `the CRL's signature does not verify under "${issuer.subject}"`);
  }
  if (now < crl.thisUpdate) {
    rejectDcap("not-yet-valid", check, `the CRL is valid only from ${crl.thisUpdate.toISOString()}`);
  }
  if (crl.nextUpdate === undefined || now > crl.nextUpdate) {
    rejectDcap("expired", check, `the CRL expired at ${crl.nextUpdate?.toISOString() ?? "(no nextUpdate)"}`);
  }
  return crl;
}

/** The pinned trust anchor from PEM; when `sha256` is given the certificate must have exactly that fingerprint. */
export async function loadTrustAnchor(pem: string, sha256?: string): Promise<X509Certificate> {
  const [root, ...rest] = pemCertificates(pem, "trust-anchor");
  if (root === undefined || rest.length > 0) return rejectDcap("malformed", "trust-anchor", "expected one certificate");
  if (sha256 !== undefined) {
    const fingerprint = Buffer.from(await root.getThumbprint("SHA-256")).toString("hex");
    if (fingerprint !== sha256) {
      rejectDcap("untrusted-chain", "trust-anchor", `pinned root fingerprint ${fingerprint}, expected ${sha256}`);
    }
  }
  if (root.issuer !== root.subject || !(await root.verify({ signatureOnly: true }))) {
    rejectDcap("untrusted-chain", "trust-anchor", "the pinned root is not a self-signed certificate");
  }
  return root;
}
