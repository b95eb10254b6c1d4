import "reflect-metadata"; // @peculiar/x509 needs the Reflect metadata polyfill loaded first
import type { webcrypto } from "node:crypto";
import {
  BasicConstraintsExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
  X509CertificateGenerator,
  X509CrlGenerator,
} from "@peculiar/x509";
import { type DcapVector, QUOTE_REGIONS, type VectorCollateral } from "./dcap-vectors.js";

/**
 * A whole PKI shaped like Intel's (root CA → PCK Processor CA → PCK certificate; root CA → TCB signing), built
 * because nobody outside Intel can sign a CRL or a PCK certificate under the real Intel SGX Root CA. The verifier is
 * then pointed at this root (its `trustAnchorPem` option exists for this only). The real SGX vector is re-issued
 * under it: same quote body, QE report and attestation key, but the QE report signed by a new PCK key whose
 * certificate carries the real PCK certificate's SGX extension (so FMSPC, TCB components and PCE SVN match the
 * real TCB info), and the real TCB info and QE identity texts re-signed by the test TCB signing key.
 */
export interface TestPki {
  readonly rootPem: string;
  readonly quote: Buffer;
  readonly collateral: VectorCollateral;
  readonly pckSerial: string;
  readonly pckCaSerial: string;
}

export interface TestPkiOptions {
  /** List the PCK certificate on the PCK CRL. */
  readonly revokePck?: boolean;
  /** List the PCK CA on the root CA's CRL. */
  readonly revokePckCa?: boolean;
  /** Edits the real TCB info / QE identity text before the test TCB signing key signs it. */
  readonly editTcbInfo?: (text: string) => string;
  readonly editQeIdentity?: (text: string) => string;
}

const KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";
const NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
const NOT_AFTER = new Date("2027-01-01T00:00:00Z");
const THIS_UPDATE = new Date("2025-06-01T00:00:00Z");
const NEXT_UPDATE = new Date("2025-08-01T00:00:00Z");

const newKeys = () => crypto.subtle.generateKey(KEY, true, ["sign", "verify"]);

async function issue(
  subject: string,
  keys: webcrypto.CryptoKeyPair,
  issuer: { name: string; keys: webcrypto.CryptoKeyPair },
  serialNumber: string,
  extensions: Extension[],
): Promise<X509Certificate> {
  return X509CertificateGenerator.create({
    serialNumber,
    subject,
    issuer: issuer.name,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    extensions,
  });
}

async function rawSignature(key: webcrypto.CryptoKey, data: Uint8Array): Promise<Buffer> {
  return Buffer.from(await crypto.subtle.sign(SIGNING, key, data));
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

/** Rewrites an SGX quote v3: a new QE report signature and a new type-5 PCK chain; sizes recomputed. */
function reissueSgxQuote(quote: Buffer, qeReportSignature: Buffer, chainPem: string): Buffer {
  const qeEnd = QUOTE_REGIONS.sgx.qeReport[1];
  const authLength = quote.readUInt16LE(qeEnd + 64);
  const authEnd = qeEnd + 64 + 2 + authLength;
  if (quote.readUInt16LE(authEnd) !== 5) throw new Error("expected PCK chain certification data");
  const pem = Buffer.from(chainPem, "latin1");
  const rebuilt = Buffer.concat([
    quote.subarray(0, qeEnd),
    qeReportSignature,
    quote.subarray(qeEnd + 64, authEnd),
    u16(5),
    u32(pem.length),
    pem,
  ]);
  rebuilt.writeUInt32LE(rebuilt.length - (QUOTE_REGIONS.sgx.body[1] + 4), QUOTE_REGIONS.sgx.body[1]);
  return rebuilt;
}

/** Builds the test PKI and re-issues the SGX vector under it (see `TestPki`). */
export async function buildTestPki(vector: DcapVector, options: TestPkiOptions = {}): Promise<TestPki> {
  const [rootKeys, pckCaKeys, pckKeys, tcbKeys] = await Promise.all([newKeys(), newKeys(), newKeys(), newKeys()]);
  const root = { name: "CN=Test SGX Root CA, O=Tributary tests", keys: rootKeys };
  const pckCa = { name: "CN=Test SGX PCK Processor CA, O=Tributary tests", keys: pckCaKeys };
  const caExtensions = () => [
    new BasicConstraintsExtension(true, 1, true),
    new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
  ];
  const rootCertificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: root.name,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: SIGNING,
    keys: rootKeys,
    extensions: caExtensions(),
  });
  const pckCaCertificate = await issue(pckCa.name, pckCaKeys, root, "0a11ce", caExtensions());
  const realPck = new X509Certificate(
    vector.quote.toString("latin1").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)?.[0] ?? "",
  );
  const sgxExtension = realPck.getExtension(SGX_EXTENSION_OID);
  if (sgxExtension === null) throw new Error("the vector's PCK certificate has no SGX extension");
  const pckCertificate = await issue("CN=Test SGX PCK Certificate, O=Tributary tests", pckKeys, pckCa, "5eca1", [
    new BasicConstraintsExtension(false, undefined, true),
    sgxExtension,
  ]);
  const tcbSigning = await issue("CN=Test SGX TCB Signing, O=Tributary tests", tcbKeys, root, "7cb5", [
    new BasicConstraintsExtension(false, undefined, true),
  ]);

  const crl = (issuer: { name: string; keys: webcrypto.CryptoKeyPair }, revoked: string[]) =>
    X509CrlGenerator.create({
      issuer: issuer.name,
      thisUpdate: THIS_UPDATE,
      nextUpdate: NEXT_UPDATE,
      signingAlgorithm: SIGNING,
      signingKey: issuer.keys.privateKey,
      entries: revoked.map((serialNumber) => ({ serialNumber, revocationDate: THIS_UPDATE })),
    });
  const rootCrl = await crl(root, options.revokePckCa ? ["0bad", pckCaCertificate.serialNumber] : ["0bad"]);
  const pckCrl = await crl(pckCa, options.revokePck ? ["0bad", pckCertificate.serialNumber] : ["0bad"]);

  const pem = (...certificates: X509Certificate[]) =>
    `${certificates.map((certificate) => certificate.toString("pem")).join("\n")}\n`;
  const tcbInfo = options.editTcbInfo?.(vector.collateral.tcb_info) ?? vector.collateral.tcb_info;
  const qeIdentity = options.editQeIdentity?.(vector.collateral.qe_identity) ?? vector.collateral.qe_identity;
  const [qeStart, qeEnd] = QUOTE_REGIONS.sgx.qeReport;
  const qeReportSignature = await rawSignature(pckKeys.privateKey, vector.quote.subarray(qeStart, qeEnd));
  return {
    rootPem: rootCertificate.toString("pem"),
    quote: reissueSgxQuote(vector.quote, qeReportSignature, pem(pckCertificate, pckCaCertificate, rootCertificate)),
    collateral: {
      pck_crl_issuer_chain: pem(pckCaCertificate, rootCertificate),
      root_ca_crl: Buffer.from(rootCrl.rawData).toString("hex"),
      pck_crl: Buffer.from(pckCrl.rawData).toString("hex"),
      tcb_info_issuer_chain: pem(tcbSigning, rootCertificate),
      tcb_info: tcbInfo,
      tcb_info_signature: (await rawSignature(tcbKeys.privateKey, Buffer.from(tcbInfo))).toString("hex"),
      qe_identity_issuer_chain: pem(tcbSigning, rootCertificate),
      qe_identity: qeIdentity,
      qe_identity_signature: (await rawSignature(tcbKeys.privateKey, Buffer.from(qeIdentity))).toString("hex"),
    },
    pckSerial: pckCertificate.serialNumber,
    pckCaSerial: pckCaCertificate.serialNumber,
  };
}
