import { createHash, generateKeyPairSync, X509Certificate as NodeX509Certificate, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DCAP_VECTOR_SHA256,
  dcapOutcome,
  flipBit,
  QUOTE_REGIONS,
  readDcapVector,
  readDcapVectorFile,
  type VectorCollateral,
} from "../../test-support/dcap-vectors.js";
import { checkAttestation } from "../attestation-policy.js";
import { DcapAttestationVerifier } from "./dcap-verifier.js";
import type { TcbPolicy } from "./tcb-policy.js";

/** The SGX vector's outcome must be allowed explicitly: its status and both advisories. */
const SGX_VECTOR_POLICY: TcbPolicy = {
  allowedStatuses: ["UpToDate", "ConfigurationAndSWHardeningNeeded"],
  allowedAdvisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
};
const sgx = readDcapVector("sgx");
const tdx = readDcapVector("tdx");

/** The first two UTCTimes of a CRL's DER are its thisUpdate and nextUpdate (the issuer name holds none). */
function crlDates(hex: string): [number, number] {
  const der = Buffer.from(hex, "hex");
  const times: number[] = [];
  for (let index = 0; index + 15 <= der.length && times.length < 2; index += 1) {
    if (der[index] !== 0x17 || der[index + 1] !== 0x0d) continue;
    const text = der.subarray(index + 2, index + 15).toString("latin1");
    const match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text);
    if (match === null) continue;
    const [, yy, mo, dd, hh, mi, ss] = match.map(Number) as number[];
    times.push(Date.UTC(2000 + (yy ?? 0), (mo ?? 1) - 1, dd, hh, mi, ss));
  }
  if (times.length !== 2) throw new Error("no CRL dates");
  return times as [number, number];
}

/**
 * The collateral's validity window, computed here from the raw pieces: the latest issueDate / thisUpdate /
 * notBefore to the earliest nextUpdate / notAfter over TCB info, QE identity, both CRLs and every certificate.
 */
function collateralWindow(collateral: VectorCollateral, quote: Buffer): { start: number; end: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const text of [collateral.tcb_info, collateral.qe_identity]) {
    const { issueDate, nextUpdate } = JSON.parse(text) as { issueDate: string; nextUpdate: string };
    starts.push(Date.parse(issueDate));
    ends.push(Date.parse(nextUpdate));
  }
  for (const crl of [collateral.root_ca_crl, collateral.pck_crl]) {
    const [thisUpdate, nextUpdate] = crlDates(crl);
    starts.push(thisUpdate);
    ends.push(nextUpdate);
  }
  const pems = [collateral.pck_crl_issuer_chain, collateral.tcb_info_issuer_chain, quote.toString("latin1")].join("\n");
  for (const pem of pems.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) {
    const certificate = new NodeX509Certificate(pem);
    starts.push(Date.parse(certificate.validFrom));
    ends.push(Date.parse(certificate.validTo));
  }
  return { start: Math.max(...starts), end: Math.min(...ends) };
}

const sgxWindow = collateralWindow(sgx.collateral, sgx.quote);
const tdxWindow = collateralWindow(tdx.collateral, tdx.quote);
const SGX_AT = sgxWindow.start + 86_400_000;
const TDX_AT = tdxWindow.start + 86_400_000;

const sgxVerifier = new DcapAttestationVerifier({ kind: "sgx", policy: SGX_VECTOR_POLICY });
const tdxVerifier = new DcapAttestationVerifier({ kind: "tdx" });

describe("the real DCAP vectors", () => {
  it("are the files the README lists", () => {
    const readme = readFileSync(new URL("../../../test/vectors/dcap/README.md", import.meta.url), "utf8");
    for (const [name, digest] of Object.entries(DCAP_VECTOR_SHA256)) {
      expect(createHash("sha256").update(readDcapVectorFile(name)).digest("hex")).toBe(digest);
      expect(readme).toContain(`| \`${name}\` |`);
      expect(readme).toContain(digest);
    }
  });

  it("have the collateral window the shared README states (2025-06-19 to 2025-07-19)", () => {
    for (const window of [sgxWindow, tdxWindow]) {
      expect(new Date(window.start).toISOString().slice(0, 10)).toBe("2025-06-19");
      expect(new Date(window.end).toISOString().slice(0, 10)).toBe("2025-07-19");
    }
  });
});

describe("DcapAttestationVerifier on the real vectors", () => {
  it("verifies the SGX quote: ConfigurationAndSWHardeningNeeded with INTEL-SA-00289 and INTEL-SA-00615", async () => {
    const result = await sgxVerifier.verifyQuote(sgx.quote, sgx.collateral, SGX_AT);
    expect(result.tcbStatus).toBe("ConfigurationAndSWHardeningNeeded");
    expect([...result.advisoryIds].sort()).toEqual(["INTEL-SA-00289", "INTEL-SA-00615"]);
    expect(result.fmspc).toBe("00a067110000");
    const body = sgx.quote.subarray(...QUOTE_REGIONS.sgx.body);
    expect(result.claims).toMatchObject({ kind: "sgx", simulated: false, issuedAt: SGX_AT });
    expect(result.claims.measurement).toBe(body.subarray(64, 96).toString("hex"));
    expect(Buffer.from(result.claims.userData).toString("latin1")).toBe(`Hello, world!${"\0".repeat(19)}`);
    expect(Buffer.from(result.claims.nonce).equals(body.subarray(352, 384))).toBe(true);
  });

  it("verifies the TDX quote: UpToDate without advisories, under the default policy", async () => {
    const result = await tdxVerifier.verifyQuote(tdx.quote, tdx.collateral, TDX_AT);
    expect(result.tcbStatus).toBe("UpToDate");
    expect(result.advisoryIds).toEqual([]);
    const body = tdx.quote.subarray(...QUOTE_REGIONS.tdx.body);
    expect(result.claims.measurement).toBe(body.subarray(136, 184).toString("hex"));
    expect(result.measurements.rtmr0).toBe(body.subarray(328, 376).toString("hex"));
    expect(Buffer.from(result.claims.userData).equals(body.subarray(520, 552))).toBe(true);
  });

  it("accepts at both ends of the collateral window and refuses just outside it", async () => {
    for (const [verifier, vector, window] of [
      [sgxVerifier, sgx, sgxWindow],
      [tdxVerifier, tdx, tdxWindow],
    ] as const) {
      expect((await dcapOutcome(verifier.verifyQuote(vector.quote, vector.collateral, window.start))).reason).toBe(
        "accepted",
      );
      expect((await dcapOutcome(verifier.verifyQuote(vector.quote, vector.collateral, window.end))).reason).toBe(
        "accepted",
      );
      expect(
        (await dcapOutcome(verifier.verifyQuote(vector.quote, vector.collateral, window.start - 1000))).reason,
      ).toBe("not-yet-valid");
      expect((await dcapOutcome(verifier.verifyQuote(vector.quote, vector.collateral, window.end + 1000))).reason).toBe(
        "expired",
      );
    }
  });

  it("refuses both vectors at today's date as expired", async () => {
    expect((await dcapOutcome(sgxVerifier.verifyQuote(sgx.quote, sgx.collateral, Date.now()))).reason).toBe("expired");
    expect((await dcapOutcome(tdxVerifier.verifyQuote(tdx.quote, tdx.collateral, Date.now()))).reason).toBe("expired");
  });

  it("refuses the SGX vector's TCB under the default policy, and unless every advisory is allowed", async () => {
    const strict = new DcapAttestationVerifier({ kind: "sgx" });
    const byDefault = await dcapOutcome(strict.verifyQuote(sgx.quote, sgx.collateral, SGX_AT));
    expect(byDefault).toMatchObject({ reason: "tcb-not-allowed", check: "tcb-policy" });
    expect(byDefault.message).toContain("ConfigurationAndSWHardeningNeeded");
    const oneAdvisory = new DcapAttestationVerifier({
      kind: "sgx",
      policy: { ...SGX_VECTOR_POLICY, allowedAdvisoryIds: ["INTEL-SA-00289"] },
    });
    const missing = await dcapOutcome(oneAdvisory.verifyQuote(sgx.quote, sgx.collateral, SGX_AT));
    expect(missing).toMatchObject({ reason: "tcb-not-allowed", check: "tcb-policy" });
    expect(missing.message).toContain("INTEL-SA-00615");
  });

  it("serves AttestationVerifier: checkAttestation binds report data to user data and nonce", async () => {
    const verifier = new DcapAttestationVerifier({
      kind: "sgx",
      policy: SGX_VECTOR_POLICY,
      collateral: sgx.collateral,
    });
    const body = sgx.quote.subarray(...QUOTE_REGIONS.sgx.body);
    const check = {
      kind: "sgx" as const,
      document: sgx.quote,
      expectedUserData: body.subarray(320, 352),
      expectedNonce: body.subarray(352, 384),
      now: SGX_AT,
    };
    const policy = {
      mode: "production" as const,
      allowedMeasurements: { sgx: [body.subarray(64, 96).toString("hex")] },
      maxAgeMs: 60_000,
    };
    expect((await checkAttestation(check, policy, [verifier])).measurement).toBe(body.subarray(64, 96).toString("hex"));
    const otherUser = await dcapOutcome(
      checkAttestation({ ...check, expectedUserData: Buffer.alloc(32, 1) }, policy, [verifier]),
    );
    expect(otherUser.reason).toBe("user-data-mismatch");
  });
});

describe("DcapAttestationVerifier refuses tampering", () => {
  const kinds = ["sgx", "tdx"] as const;
  const fixture = (kind: "sgx" | "tdx") =>
    kind === "sgx"
      ? { verifier: sgxVerifier, vector: sgx, at: SGX_AT }
      : { verifier: tdxVerifier, vector: tdx, at: TDX_AT };

  /** ~16 positions spread over a region, each with one bit flipped. */
  async function flipsIn(kind: "sgx" | "tdx", region: readonly [number, number]): Promise<Set<string>> {
    const { verifier, vector, at } = fixture(kind);
    const seen = new Set<string>();
    const step = Math.max(1, Math.floor((region[1] - region[0]) / 16));
    for (let index = region[0]; index < region[1]; index += step) {
      const outcome = await dcapOutcome(
        verifier.verifyQuote(flipBit(vector.quote, index, index % 8), vector.collateral, at),
      );
      seen.add(`${outcome.reason}/${outcome.check}`);
    }
    return seen;
  }

  it.each(kinds)("%s: a flipped bit in the quote body breaks the quote signature", async (kind) => {
    expect(await flipsIn(kind, QUOTE_REGIONS[kind].body)).toEqual(new Set(["bad-signature/quote-signature"]));
  });

  it.each(kinds)("%s: a flipped bit in the quote signature is refused", async (kind) => {
    expect(await flipsIn(kind, QUOTE_REGIONS[kind].signature)).toEqual(new Set(["bad-signature/quote-signature"]));
  });

  it.each(kinds)("%s: a flipped bit in the QE report breaks the PCK key's signature on it", async (kind) => {
    expect(await flipsIn(kind, QUOTE_REGIONS[kind].qeReport)).toEqual(new Set(["bad-signature/qe-report-signature"]));
  });

  it.each(kinds)("%s: another attestation key no longer matches the QE report data", async (kind) => {
    expect(await flipsIn(kind, QUOTE_REGIONS[kind].attestationKey)).toEqual(new Set(["bad-signature/qe-report-data"]));
  });

  it.each(kinds)("%s: TCB info or QE identity signed by another key is refused", async (kind) => {
    const { verifier, vector, at } = fixture(kind);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const resign = (text: string) =>
      sign("sha256", Buffer.from(text), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("hex");
    const collateral = vector.collateral;
    const tcbInfo = await dcapOutcome(
      verifier.verifyQuote(vector.quote, { ...collateral, tcb_info_signature: resign(collateral.tcb_info) }, at),
    );
    expect(tcbInfo).toMatchObject({ reason: "bad-signature", check: "tcb-info" });
    const qeIdentity = await dcapOutcome(
      verifier.verifyQuote(vector.quote, { ...collateral, qe_identity_signature: resign(collateral.qe_identity) }, at),
    );
    expect(qeIdentity).toMatchObject({ reason: "bad-signature", check: "qe-identity" });
    const edited = collateral.tcb_info.replace(
      /"tcbStatus":"(OutOfDate|SWHardeningNeeded|ConfigurationAndSWHardeningNeeded)"/g,
      '"tcbStatus":"UpToDate"',
    );
    expect(edited).not.toBe(collateral.tcb_info);
    expect(
      await dcapOutcome(verifier.verifyQuote(vector.quote, { ...collateral, tcb_info: edited }, at)),
    ).toMatchObject({
      reason: "bad-signature",
      check: "tcb-info",
    });
  });

  it("refuses non-zero bytes after the signature data, a truncated quote and the other TEE's collateral", async () => {
    const padded = Buffer.from(tdx.quote);
    padded[padded.length - 1] = 1;
    expect(await dcapOutcome(tdxVerifier.verifyQuote(padded, tdx.collateral, TDX_AT))).toMatchObject({
      reason: "malformed",
      check: "quote-format",
    });
    const truncated = sgx.quote.subarray(0, sgx.quote.length - 10);
    expect(await dcapOutcome(sgxVerifier.verifyQuote(truncated, sgx.collateral, SGX_AT))).toMatchObject({
      reason: "malformed",
    });
    expect(await dcapOutcome(sgxVerifier.verifyQuote(sgx.quote, tdx.collateral, TDX_AT))).toMatchObject({
      reason: "collateral-mismatch",
      check: "pck-crl",
    });
    expect(await dcapOutcome(tdxVerifier.verifyQuote(sgx.quote, sgx.collateral, SGX_AT))).toMatchObject({
      reason: "malformed",
    });
  });
});
