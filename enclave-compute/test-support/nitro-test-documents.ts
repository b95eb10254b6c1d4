/**
 * Nitro-shaped attestation documents signed by a certificate chain made here (ECDSA P-384 through WebCrypto,
 * certificates by @peculiar/x509, CBOR by cborg): what a forger without AWS's keys can produce. Tests use them to
 * show that a valid signature under another root is refused, and, with that root pinned explicitly, to reach the
 * policy checks behind the chain (zero PCRs, nonce, user data) with documents the real vector cannot provide.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { createHash, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import * as x509 from "@peculiar/x509";
import { decode, encode } from "cborg";

x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>);

const ES384 = { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as const;

/** The real AWS document, read from the repository's copy. */
export const NITRO_VECTOR_PATH = new URL("../../test/vectors/nitro/attestation.cose.bin", import.meta.url);
export function readNitroVector(): Uint8Array {
  return new Uint8Array(readFileSync(NITRO_VECTOR_PATH));
}

export interface TestChain {
  /** DER certificates, root first, leaf last. */
  readonly certificates: readonly Uint8Array[];
  /** SHA-256 of the root's DER, to pin it explicitly. */
  readonly rootFingerprint: string;
  readonly leafKey: webcrypto.CryptoKey;
}

/** A root → intermediate → leaf chain of P-384 keys, every certificate valid over [notBefore, notAfter]. */
export async function makeTestChain(options: {
  notBefore: Date;
  notAfter: Date;
  rootName?: string;
}): Promise<TestChain> {
  const generate = () =>
    webcrypto.subtle.generateKey(ES384, true, ["sign", "verify"]) as Promise<webcrypto.CryptoKeyPair>;
  const [rootKeys, middleKeys, leafKeys] = await Promise.all([generate(), generate(), generate()]);
  const validity = { notBefore: options.notBefore, notAfter: options.notAfter, signingAlgorithm: ES384 };
  const caExtensions = async (keys: webcrypto.CryptoKeyPair) => [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  const rootName = options.rootName ?? "C=US, O=Test, CN=test.nitro-root";
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity,
    serialNumber: "01",
    name: rootName,
    keys: rootKeys,
    extensions: await caExtensions(rootKeys),
  });
  const middle = await x509.X509CertificateGenerator.create({
    ...validity,
    serialNumber: "02",
    subject: "C=US, O=Test, CN=test.intermediate",
    issuer: root.subject,
    publicKey: middleKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      ...(await caExtensions(middleKeys)),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    ...validity,
    serialNumber: "03",
    subject: "C=US, O=Test, CN=test.enclave",
    issuer: middle.subject,
    publicKey: leafKeys.publicKey,
    signingKey: middleKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(middleKeys.publicKey),
    ],
  });
  const certificates = [root, middle, leaf].map((cert) => new Uint8Array(cert.rawData));
  return {
    certificates,
    rootFingerprint: createHash("sha256")
      .update(certificates[0] as Uint8Array)
      .digest("hex"),
    leafKey: leafKeys.privateKey,
  };
}

/** The real document's payload as an ordered map, to be edited and signed again. */
export function nitroVectorPayload(): Map<string, unknown> {
  const [, , payload] = decode(readNitroVector(), { useMaps: true }) as [Uint8Array, unknown, Uint8Array, Uint8Array];
  return decode(payload, { useMaps: true }) as Map<string, unknown>;
}

/** Sets `certificate` and `cabundle` of a payload to the test chain's. */
export function withChain(payload: Map<string, unknown>, chain: TestChain): Map<string, unknown> {
  const copy = new Map(payload);
  copy.set("certificate", chain.certificates.at(-1));
  copy.set("cabundle", chain.certificates.slice(0, -1));
  return copy;
}

/**
 * Encodes and signs a COSE_Sign1 document the way the NSM does: protected header {1: -35} (ES384), an empty
 * unprotected map, the payload attached, and an IEEE P1363 (r‖s) signature over
 * ["Signature1", protected, h'', payload] made by WebCrypto.
 */
export async function signNitroDocument(
  payload: Map<string, unknown>,
  leafKey: webcrypto.CryptoKey,
): Promise<Uint8Array> {
  const protectedHeader = encode(new Map([[1, -35]]));
  const payloadBytes = encode(payload, { mapSorter: () => 0 });
  const toBeSigned = encode(["Signature1", protectedHeader, new Uint8Array(0), payloadBytes]);
  const signature = new Uint8Array(await webcrypto.subtle.sign(ES384, leafKey, toBeSigned));
  return encode([protectedHeader, new Map(), payloadBytes, signature]);
}

/** 48 bytes of `byte`, as one PCR value. */
export function pcrOf(byte: number): Uint8Array {
  return new Uint8Array(48).fill(byte);
}
