import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { computeAddress, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flipBit, QUOTE_REGIONS } from "../../../enclave-compute/test-support/dcap-vectors.js";
import { type Ran, tributary } from "../../test-support/run-tributary.js";

// The real vectors in test/vectors/ and what their READMEs (from the shared test vectors' README) say of them.
const VECTORS = fileURLToPath(new URL("../../../test/vectors/", import.meta.url));
const NITRO = path.join(VECTORS, "nitro/attestation.cose.bin");
const NITRO_SHA256 = "69d51f984229a1bc4009ac2029b1a7f5d255ada7239004b8cda5d06dcdbd365f";
const NITRO_AT = "1732990000";
const dcap = (name: string) => path.join(VECTORS, "dcap", name);
// Inside the collateral's validity window, 2025-06-19 to 2025-07-19.
const DCAP_AT = String(Date.UTC(2025, 5, 25) / 1000);
const SGX_ALLOWANCES = [
  "--allow-tcb-status",
  "ConfigurationAndSWHardeningNeeded",
  "--allow-advisory",
  "INTEL-SA-00289",
  "--allow-advisory",
  "INTEL-SA-00615",
];

let dir: string;
let nitro: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-attest-"));
  nitro = await import("node:fs/promises").then((fs) => fs.readFile(NITRO));
  expect(createHash("sha256").update(nitro).digest("hex")).toBe(NITRO_SHA256);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The last line of stdout, parsed. */
function verdict(ran: Ran): Record<string, unknown> {
  return JSON.parse(ran.stdout.trim().split("\n").at(-1) as string) as Record<string, unknown>;
}

/** Writes a tampered copy and returns its path. */
async function tampered(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

/** Read by hand from the document's bytes: the CBOR text key, then bstr(length) as 0x58 <length>. */
function fieldByHand(bytes: Buffer, key: string, offset: number, length: number): string {
  const at = bytes.indexOf(Buffer.from(key, "latin1")) + key.length + offset;
  return bytes.subarray(at, at + length).toString("hex");
}

describe("tributary attest verify --kind nitro", () => {
  it("verifies the real AWS document at its time: exit 0, PCR0 and the public_key's address", async () => {
    const ran = await tributary("attest", "verify", "--kind", "nitro", "--file", NITRO, "--at", NITRO_AT);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("valid nitro attestation");
    const result = verdict(ran);
    // "pcrs" is followed by a map header, then `0, 0x58 0x30` and PCR0's 48 bytes.
    const pcr0 = fieldByHand(nitro, "dpcrs", 4, 48);
    const publicKey = fieldByHand(nitro, "jpublic_key", 2, 65);
    expect(result).toMatchObject({ valid: true, kind: "nitro", at: Number(NITRO_AT), measurement: pcr0 });
    expect((result.measurements as Record<string, string>).pcr0).toBe(pcr0);
    expect(result.signer).toBe(computeAddress(`0x${publicKey}`).toLowerCase());
  });

  it("prints only the JSON line with --json, and checks --signer and --pcr", async () => {
    const signer = computeAddress(`0x${fieldByHand(nitro, "jpublic_key", 2, 65)}`);
    const pcr0 = fieldByHand(nitro, "dpcrs", 4, 48);
    const base = ["attest", "verify", "--kind", "nitro", "--file", NITRO, "--at", NITRO_AT, "--json"];
    const ok = await tributary(...base, "--signer", signer, "--pcr", `0=${pcr0}`);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split("\n")).toHaveLength(1);
    const other = await tributary(...base, "--signer", Wallet.createRandom().address);
    expect(other.code).toBe(1);
    expect(verdict(other)).toMatchObject({ valid: false, reason: "public-key-mismatch", check: "binding" });
    const unlisted = await tributary(...base, "--pcr", `0=${"ab".repeat(48)}`);
    expect(unlisted.code).toBe(1);
    expect(verdict(unlisted)).toMatchObject({ valid: false, reason: "pcr-not-allowed", check: "pcrs" });
  });

  it("refuses it today (its leaf certificate expired) and, with a 10-minute window, as stale at its time", async () => {
    const today = await tributary("attest", "verify", "--kind", "nitro", "--file", NITRO);
    expect(today.code).toBe(1);
    expect(verdict(today)).toMatchObject({ valid: false, reason: "expired", check: "certificate-validity" });
    const base = ["attest", "verify", "--kind", "nitro", "--file", NITRO, "--at", NITRO_AT];
    const stale = await tributary(...base, "--max-age-s", "600");
    expect(stale.code).toBe(1);
    expect(verdict(stale)).toMatchObject({ valid: false, reason: "stale", check: "freshness" });
  });

  it("refuses one flipped bit in the payload (PCR0) and in the signature", async () => {
    const inPcr0 = nitro.indexOf(Buffer.from("dpcrs", "latin1")) + 5 + 4 + 10;
    for (const [name, index] of [
      ["payload.bin", inPcr0],
      ["signature.bin", nitro.length - 40],
    ] as const) {
      const file = await tampered(name, flipBit(nitro, index, 3));
      const ran = await tributary("attest", "verify", "--kind", "nitro", "--file", file, "--at", NITRO_AT);
      expect(ran.code, name).toBe(1);
      expect(verdict(ran), name).toMatchObject({ valid: false, reason: "bad-signature", check: "cose-signature" });
    }
  });
});

describe("tributary attest verify --kind sgx|tdx", () => {
  const run = (kind: "sgx" | "tdx", file: string, ...extra: string[]) =>
    tributary(
      "attest",
      "verify",
      "--kind",
      kind,
      "--file",
      file,
      "--collateral",
      dcap(`${kind}_quote_collateral.json`),
      ...extra,
    );

  it("verifies the real SGX quote with its advisories allowed: ConfigurationAndSWHardeningNeeded", async () => {
    const ran = await run("sgx", dcap("sgx_quote"), "--at", DCAP_AT, ...SGX_ALLOWANCES);
    expect(ran.code).toBe(0);
    const result = verdict(ran);
    expect(result).toMatchObject({ valid: true, kind: "sgx", tcbStatus: "ConfigurationAndSWHardeningNeeded" });
    expect([...(result.advisoryIds as string[])].sort()).toEqual(["INTEL-SA-00289", "INTEL-SA-00615"]);
    const quote = await import("node:fs/promises").then((fs) => fs.readFile(dcap("sgx_quote")));
    const body = quote.subarray(...QUOTE_REGIONS.sgx.body);
    // MRENCLAVE is bytes 64..96 of the SGX report body (Intel's sgx_report_body_t).
    expect(result.measurement).toBe(body.subarray(64, 96).toString("hex"));
  });

  it("refuses the SGX quote under the default policy, naming the TCB policy and its advisories", async () => {
    const ran = await run("sgx", dcap("sgx_quote"), "--at", DCAP_AT);
    expect(ran.code).toBe(1);
    expect(verdict(ran)).toMatchObject({ valid: false, reason: "tcb-not-allowed", check: "tcb-policy" });
    expect(verdict(ran).message).toContain("ConfigurationAndSWHardeningNeeded");
    const oneAdvisory = await run("sgx", dcap("sgx_quote"), "--at", DCAP_AT, ...SGX_ALLOWANCES.slice(0, 4));
    expect(oneAdvisory.code).toBe(1);
    expect(verdict(oneAdvisory).message).toContain("INTEL-SA-00615");
  });

  it("verifies the real TDX quote under the default policy: UpToDate, no advisories", async () => {
    const ran = await run("tdx", dcap("tdx_quote"), "--at", DCAP_AT);
    expect(ran.code).toBe(0);
    expect(verdict(ran)).toMatchObject({ valid: true, kind: "tdx", tcbStatus: "UpToDate", advisoryIds: [] });
  });

  it.each(["sgx", "tdx"] as const)("refuses the %s quote today: its collateral expired", async (kind) => {
    const ran = await run(kind, dcap(`${kind}_quote`), ...(kind === "sgx" ? SGX_ALLOWANCES : []));
    expect(ran.code).toBe(1);
    expect(verdict(ran)).toMatchObject({ valid: false, reason: "expired" });
  });

  it.each(["sgx", "tdx"] as const)(
    "%s: refuses a flipped bit in the quote body, its signature and the QE report",
    async (kind) => {
      const quote = await import("node:fs/promises").then((fs) => fs.readFile(dcap(`${kind}_quote`)));
      const regions = QUOTE_REGIONS[kind];
      for (const [region, check] of [
        ["body", "quote-signature"],
        ["signature", "quote-signature"],
        ["qeReport", "qe-report-signature"],
      ] as const) {
        const [start, end] = regions[region];
        const file = await tampered(`${kind}-${region}`, flipBit(quote, Math.floor((start + end) / 2), 5));
        const ran = await run(kind, file, "--at", DCAP_AT, ...(kind === "sgx" ? SGX_ALLOWANCES : []));
        expect(ran.code, region).toBe(1);
        expect(verdict(ran), region).toMatchObject({ valid: false, reason: "bad-signature", check });
      }
    },
  );
});

describe("tributary attest verify usage errors exit 2", () => {
  it("refuses a missing file, an sgx quote without collateral, a bad --at and an unknown kind", async () => {
    for (const args of [
      ["--kind", "nitro", "--file", path.join(dir, "missing.bin")],
      ["--kind", "sgx", "--file", dcap("sgx_quote")],
      ["--kind", "nitro", "--file", NITRO, "--at", "yesterday"],
      ["--kind", "sev", "--file", NITRO],
      ["--kind", "nitro", "--file", NITRO, "--collateral", dcap("sgx_quote_collateral.json")],
    ]) {
      const ran = await tributary("attest", "verify", ...args, "--json");
      expect(ran.code, args.join(" ")).toBe(2);
      expect(ran.stderr, args.join(" ")).toMatch(/^tributary: /);
    }
  });
});
