import { describe, expect, it } from "vitest";
import { buildTestPki } from "../../test-support/dcap-test-pki.js";
import { dcapOutcome, readDcapVector } from "../../test-support/dcap-vectors.js";
import { DcapAttestationVerifier } from "./dcap-verifier.js";

/*
 * Revocation needs CRLs signed under the pinned root, and only Intel can sign under the Intel SGX Root CA. These
 * tests therefore build a whole test PKI with @peculiar/x509 (test-support/dcap-test-pki.ts), re-issue the real
 * SGX vector under it, and inject the test root as the verifier's pinned anchor (`trustAnchorPem`).
 */
const sgx = readDcapVector("sgx");
const AT = Date.parse("2025-07-01T00:00:00Z");
const policy = {
  allowedStatuses: ["ConfigurationAndSWHardeningNeeded"] as const,
  allowedAdvisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
};

describe("DCAP revocation, trust anchor and collateral content, with a test PKI", () => {
  it("accepts the re-issued vector under the test root, with the real vector's TCB outcome", async () => {
    const pki = await buildTestPki(sgx);
    const verifier = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: pki.rootPem });
    const result = await verifier.verifyQuote(pki.quote, pki.collateral, AT);
    expect(result.tcbStatus).toBe("ConfigurationAndSWHardeningNeeded");
    expect([...result.advisoryIds].sort()).toEqual(["INTEL-SA-00289", "INTEL-SA-00615"]);
  });

  it("refuses a PCK certificate listed in the PCK CRL", async () => {
    const pki = await buildTestPki(sgx, { revokePck: true });
    const verifier = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: pki.rootPem });
    const outcome = await dcapOutcome(verifier.verifyQuote(pki.quote, pki.collateral, AT));
    expect(outcome).toMatchObject({ reason: "revoked", check: "pck-certificate" });
    expect(outcome.message).toContain(pki.pckSerial);
  });

  it("refuses a PCK CA listed in the root CA's CRL", async () => {
    const pki = await buildTestPki(sgx, { revokePckCa: true });
    const verifier = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: pki.rootPem });
    const outcome = await dcapOutcome(verifier.verifyQuote(pki.quote, pki.collateral, AT));
    expect(outcome.reason).toBe("revoked");
    expect(outcome.message).toContain(pki.pckCaSerial);
  });

  it("never trusts a root the quote or collateral carries: the default verifier pins Intel's", async () => {
    const pki = await buildTestPki(sgx);
    const intelPinned = new DcapAttestationVerifier({ kind: "sgx", policy });
    const testCollateral = await dcapOutcome(intelPinned.verifyQuote(pki.quote, pki.collateral, AT));
    expect(testCollateral).toMatchObject({ reason: "untrusted-chain", check: "root-ca-crl" });
    const realCollateral = await dcapOutcome(intelPinned.verifyQuote(pki.quote, sgx.collateral, AT));
    expect(realCollateral).toMatchObject({ reason: "untrusted-chain", check: "pck-certificate-chain" });
    expect(realCollateral.message).toContain("pinned Intel SGX Root CA");
  });

  it("refuses real Intel collateral whose TCB info chain was swapped for the test PKI's", async () => {
    const pki = await buildTestPki(sgx);
    const verifier = new DcapAttestationVerifier({ kind: "sgx", policy });
    const collateral = {
      ...sgx.collateral,
      tcb_info_issuer_chain: pki.collateral.tcb_info_issuer_chain,
      tcb_info_signature: pki.collateral.tcb_info_signature,
    };
    expect(await dcapOutcome(verifier.verifyQuote(sgx.quote, collateral, AT))).toMatchObject({
      reason: "untrusted-chain",
      check: "tcb-info",
    });
  });

  it("converges an out-of-date QE with the platform's level as Intel's QVL does", async () => {
    // The vector's QE has ISVSVN 10; lifting the UpToDate level to 11 leaves it at the OutOfDate level of ISVSVN 6
    // (INTEL-SA-00615). Intel: ConfigurationAndSWHardeningNeeded with an out-of-date QE → OutOfDateConfigurationNeeded.
    const pki = await buildTestPki(sgx, { editQeIdentity: (text) => text.replace('{"isvsvn":8}', '{"isvsvn":11}') });
    const verifier = new DcapAttestationVerifier({
      kind: "sgx",
      policy: { ...policy, allowedStatuses: ["OutOfDateConfigurationNeeded"] },
      trustAnchorPem: pki.rootPem,
    });
    const result = await verifier.verifyQuote(pki.quote, pki.collateral, AT);
    expect(result.tcbStatus).toBe("OutOfDateConfigurationNeeded");
    expect(result.tcb.qe).toEqual({ status: "OutOfDate", advisoryIds: ["INTEL-SA-00615"] });
    expect([...result.advisoryIds].sort()).toEqual(["INTEL-SA-00289", "INTEL-SA-00615"]);
  });

  it("refuses a QE identity naming another MRSIGNER, and TCB info for another FMSPC", async () => {
    const otherSigner = await buildTestPki(sgx, {
      editQeIdentity: (text) => text.replace(/"mrsigner":"8C4F/, '"mrsigner":"9C4F'),
    });
    const bySigner = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: otherSigner.rootPem });
    expect(await dcapOutcome(bySigner.verifyQuote(otherSigner.quote, otherSigner.collateral, AT))).toMatchObject({
      reason: "identity-mismatch",
      check: "qe-identity-match",
    });
    const otherFmspc = await buildTestPki(sgx, {
      editTcbInfo: (text) => text.replace('"fmspc":"00A067110000"', '"fmspc":"00A067110001"'),
    });
    const byFmspc = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: otherFmspc.rootPem });
    expect(await dcapOutcome(byFmspc.verifyQuote(otherFmspc.quote, otherFmspc.collateral, AT))).toMatchObject({
      reason: "collateral-mismatch",
      check: "tcb-info",
    });
  });

  it("refuses a platform below every TCB level, and a revoked one", async () => {
    const raise = (text: string) => text.replaceAll('"pcesvn":13', '"pcesvn":14');
    const below = await buildTestPki(sgx, {
      editTcbInfo: (text) => raise(text).replace(/"pcesvn":(5|10|11)\b/g, '"pcesvn":14'),
    });
    const verifier = new DcapAttestationVerifier({ kind: "sgx", policy, trustAnchorPem: below.rootPem });
    expect(await dcapOutcome(verifier.verifyQuote(below.quote, below.collateral, AT))).toMatchObject({
      reason: "tcb-not-allowed",
      check: "tcb-level",
    });
    const revoked = await buildTestPki(sgx, {
      editTcbInfo: (text) => text.replace('"tcbStatus":"ConfigurationAndSWHardeningNeeded"', '"tcbStatus":"Revoked"'),
    });
    const anything = new DcapAttestationVerifier({
      kind: "sgx",
      policy: {
        allowedStatuses: ["UpToDate", "OutOfDate", "ConfigurationAndSWHardeningNeeded"],
        allowedAdvisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
      },
      trustAnchorPem: revoked.rootPem,
    });
    expect(await dcapOutcome(anything.verifyQuote(revoked.quote, revoked.collateral, AT))).toMatchObject({
      reason: "revoked",
      check: "tcb-policy",
    });
  });
});
