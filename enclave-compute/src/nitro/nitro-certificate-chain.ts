import { createHash, X509Certificate } from "node:crypto";
import { AttestationRejectedError } from "../attestation-rejected-error.js";

/**
 * SHA-256 fingerprint of the AWS Nitro Enclaves root certificate (CN=aws.nitro-enclaves, ECDSA P-384, valid
 * 2019-10-28 to 2049-10-28), as AWS publishes it with the root's download. Every genuine attestation chains to it.
 */
export const AWS_NITRO_ROOT_FINGERPRINT = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

/** One certificate of a verified chain, for display and records. */
export interface VerifiedCertificate {
  readonly subject: string;
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprint: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface NitroCertificateChain {
  /** The leaf: its key signs the document. */
  readonly leaf: X509Certificate;
  /** Root first, leaf last. */
  readonly certificates: readonly VerifiedCertificate[];
}

/** Lower-case hex without separators, so `64:1A:…` and `641a…` pin the same root. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replaceAll(":", "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError(`not a SHA-256 fingerprint: ${fingerprint}`);
  return hex;
}

function chainError(message: string): AttestationRejectedError {
  return new AttestationRejectedError("certificate-chain", `certificate chain: ${message}`);
}

function parse(der: Uint8Array, name: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw chainError(`${name} is not a DER X.509 certificate (${cause instanceof Error ? cause.message : cause})`);
  }
}

/**
 * Verifies the document's certificates, `cabundle` (root first) then `certificate` (the leaf), as of `at` (Unix ms):
 * 1. the first certificate of the bundle is exactly the pinned root (its SHA-256 fingerprint); the root a document
 *    carries is never trusted for what it says;
 * 2. every other certificate names the one before it as issuer, that issuer is a CA, and the issuer's key verifies
 *    its signature (OpenSSL's checks through node:crypto);
 * 3. every certificate, the root included, is valid at `at`;
 * 4. the leaf's key is ECDSA P-384, as ES384 requires.
 * Refusals: `root-not-pinned`, `certificate-chain`, `expired`, `not-yet-valid`.
 */
export function verifyNitroCertificateChain(
  certificate: Uint8Array,
  cabundle: readonly Uint8Array[],
  at: number,
  rootFingerprint: string,
): NitroCertificateChain {
  const chain = [...cabundle.map((der, index) => parse(der, `cabundle[${index}]`)), parse(certificate, "certificate")];
  const root = chain[0] as X509Certificate;
  const rootPrint = createHash("sha256").update(root.raw).digest("hex");
  if (rootPrint !== normalizeFingerprint(rootFingerprint)) {
    throw new AttestationRejectedError(
      "root-not-pinned",
      `root not pinned: the chain's root ${root.subject.replaceAll("\n", ", ")} has fingerprint ${rootPrint}, ` +
        `the pinned root is ${normalizeFingerprint(rootFingerprint)}`,
      { fingerprint: rootPrint },
    );
  }
  for (let index = 1; index < chain.length; index++) {
    const issuer = chain[index - 1] as X509Certificate;
    const subject = chain[index] as X509Certificate;
    const name = index === chain.length - 1 ? "the leaf certificate" : `cabundle[${index}]`;
    if (!issuer.ca) throw chainError(`the issuer of ${name} is not a CA`);
    if (!subject.checkIssued(issuer)) throw chainError(`${name} is not issued by the certificate before it`);
    if (!subject.verify(issuer.publicKey))
      throw chainError(`the signature on ${name} does not verify under its issuer's key`);
  }
  const leaf = chain[chain.length - 1] as X509Certificate;
  if (leaf.publicKey.asymmetricKeyDetails?.namedCurve !== "secp384r1") {
    throw chainError("the leaf certificate's key is not ECDSA P-384");
  }
  const certificates = chain.map((cert) => ({
    subject: cert.subject.replaceAll("\n", ", "),
    fingerprint: createHash("sha256").update(cert.raw).digest("hex"),
    notBefore: cert.validFromDate.getTime(),
    notAfter: cert.validToDate.getTime(),
  }));
  // Leaf first: the shortest-lived certificate is the one to name.
  for (const cert of [...certificates].reverse()) {
    if (at > cert.notAfter) {
      throw new AttestationRejectedError(
        "expired",
        `certificate expired: ${cert.subject} was valid until ${new Date(cert.notAfter).toISOString()}, checked at ${new Date(at).toISOString()}`,
        { notAfter: cert.notAfter, at },
      );
    }
    if (at < cert.notBefore) {
      throw new AttestationRejectedError(
        "not-yet-valid",
        `certificate not yet valid: ${cert.subject} is valid from ${new Date(cert.notBefore).toISOString()}, checked at ${new Date(at).toISOString()}`,
        { notBefore: cert.notBefore, at },
      );
    }
  }
  return { leaf, certificates };
}
