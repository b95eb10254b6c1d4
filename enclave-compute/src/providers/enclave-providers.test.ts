import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readDcapVectorFile } from "../../test-support/dcap-vectors.js";
import { parseDcapQuote } from "../dcap/quote-parser.js";
import { NitroAttestationVerifier } from "../nitro/nitro-attestation-verifier.js";
import { GramineSgxEnclave } from "./gramine-sgx-enclave.js";
import { NitroEnclave } from "./nitro-enclave.js";
import { TdxEnclave } from "./tdx-enclave.js";

// No SGX, TDX or Nitro hardware exists here. These tests stand a temporary directory in for each vendor interface
// (Gramine's /dev/attestation, Linux's configfs-tsm report entry, the NSM helper's command line), answering with the
// real vendor documents of test/vectors, and check what the providers write to those interfaces and hand back.

const NITRO_DOCUMENT = new URL("../../../test/vectors/nitro/attestation.cose.bin", import.meta.url);

let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-enclave-"));
  dirs.push(dir);
  return dir;
}

const userData = randomBytes(32);
const nonce = randomBytes(32);

describe("GramineSgxEnclave (Gramine's /dev/attestation)", () => {
  it("writes the user data then the nonce as the 64 report-data bytes and returns Gramine's quote", async () => {
    const dir = await tempDir();
    const quote = readDcapVectorFile("sgx_quote");
    await writeFile(path.join(dir, "attestation_type"), "dcap\n");
    await writeFile(path.join(dir, "quote"), quote);
    const enclave = await GramineSgxEnclave.open(dir);
    const document = await enclave.attest(userData, nonce);
    expect(document.kind).toBe("sgx");
    expect(Buffer.from(document.bytes).equals(quote)).toBe(true);
    expect(parseDcapQuote(document.bytes).body.kind).toBe("sgx");
    const written = await readFile(path.join(dir, "user_report_data"));
    expect(written).toHaveLength(64);
    expect(written.subarray(0, 32).equals(userData)).toBe(true);
    expect(written.subarray(32).equals(nonce)).toBe(true);
  });

  it("cannot start outside Gramine, or under Gramine without DCAP, and says why", async () => {
    const dir = await tempDir();
    await expect(GramineSgxEnclave.open(path.join(dir, "missing"))).rejects.toThrow(
      /attestation_type does not exist: this process is not running inside a Gramine SGX enclave/,
    );
    await writeFile(path.join(dir, "attestation_type"), "none");
    await expect(GramineSgxEnclave.open(dir)).rejects.toThrow(/attestation type "none".*needs DCAP quotes/);
  });

  it("refuses a nonce that is not 32 bytes (it would not fit the report data's half)", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "attestation_type"), "dcap");
    const enclave = await GramineSgxEnclave.open(dir);
    await expect(enclave.attest(userData, randomBytes(16))).rejects.toThrow(/nonce must be 32 bytes, got 16/);
  });
});

describe("TdxEnclave (Linux configfs-tsm)", () => {
  async function reportDir(provider: string): Promise<string> {
    const dir = await tempDir();
    const entry = path.join(dir, "entry");
    await mkdir(entry);
    await writeFile(path.join(entry, "provider"), `${provider}\n`);
    await writeFile(path.join(entry, "generation"), "7\n");
    await writeFile(path.join(entry, "outblob"), readDcapVectorFile("tdx_quote"));
    return dir;
  }

  it("writes the 64 report-data bytes to inblob and returns outblob, a TDX quote", async () => {
    const dir = await reportDir("tdx_guest");
    const enclave = await TdxEnclave.open(dir, () => "entry");
    const document = await enclave.attest(userData, nonce);
    expect(document.kind).toBe("tdx");
    expect(parseDcapQuote(document.bytes).body.kind).toBe("tdx");
    const inblob = await readFile(path.join(dir, "entry", "inblob"));
    expect(Buffer.concat([userData, nonce]).equals(inblob)).toBe(true);
  });

  it("cannot start without configfs-tsm or on another TSM provider, and says why", async () => {
    const dir = await tempDir();
    await expect(TdxEnclave.open(path.join(dir, "missing"))).rejects.toThrow(/does not exist: this is not a TDX guest/);
    await expect(TdxEnclave.open(await reportDir("sev_guest"), () => "entry")).rejects.toThrow(
      /TSM provider is "sev_guest", not "tdx_guest"/,
    );
    await expect(TdxEnclave.open(dir, () => "bare")).rejects.toThrow(/has no provider attribute/);
  });
});

describe("NitroEnclave (the NSM through its helper)", () => {
  async function setUp(script: string): Promise<{ device: string; helper: string; argsFile: string }> {
    const dir = await tempDir();
    const device = path.join(dir, "nsm");
    await writeFile(device, "");
    const argsFile = path.join(dir, "args");
    const helper = path.join(dir, "nsm-helper");
    await writeFile(helper, `#!/bin/sh\necho "$@" > '${argsFile}'\n${script}\n`);
    await chmod(helper, 0o755);
    return { device, helper, argsFile };
  }

  it("passes the user data and the nonce to the helper and returns its document, which verifies", async () => {
    const { device, helper, argsFile } = await setUp(`cat '${NITRO_DOCUMENT.pathname}'`);
    const enclave = await NitroEnclave.open({ helper, device });
    const document = await enclave.attest(userData, nonce);
    expect((await readFile(argsFile, "utf8")).trim()).toBe(
      `--user-data ${userData.toString("hex")} --nonce ${nonce.toString("hex")}`,
    );
    expect(document.kind).toBe("nitro");
    // The real document (it binds its own public key, not this user data): its signature chain verifies.
    const claims = await new NitroAttestationVerifier({ maxAgeMs: Number.MAX_SAFE_INTEGER }).verify(
      document.bytes,
      1_732_990_000_000,
    );
    expect(claims.kind).toBe("nitro");
  });

  it("cannot start outside an enclave or without a runnable helper, and reports a failing helper's words", async () => {
    const { device, helper } = await setUp("echo 'NSM returned InvalidArgument' >&2; exit 3");
    await expect(NitroEnclave.open({ helper, device: `${device}-missing` })).rejects.toThrow(
      /cannot be opened \(ENOENT\): this process is not running inside an AWS Nitro enclave/,
    );
    await expect(NitroEnclave.open({ helper: `${helper}-missing`, device })).rejects.toThrow(
      /the NSM helper .* cannot be run \(ENOENT\)/,
    );
    const enclave = await NitroEnclave.open({ helper, device });
    await expect(enclave.attest(userData, nonce)).rejects.toThrow(/failed .*: NSM returned InvalidArgument/);
  });
});
