import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../bin/tributary.js");

async function trainer(args: string[], env: Record<string, string> = {}) {
  const { TRIBUTARY_TRAINER_KEY: _ignored, ...rest } = process.env;
  return exec(process.execPath, [bin, "trainer", ...args], { env: { ...rest, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const base = [
  "--coordinator",
  "http://127.0.0.1:9",
  "--dataset-id",
  "1",
  "--format",
  "idx",
  "--data",
  "x.idx",
  "--labels",
  "y.idx",
];

describe("tributary trainer", () => {
  it("names the option that is malformed", async () => {
    const result = await trainer(["--coordinator", "not a url", ...base.slice(2)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /invalid trainer options: trainer options\.coordinator: must be the coordinator's URL/,
    );
  });

  it("names a metrics port out of range", async () => {
    const result = await trainer([...base, "--metrics-port", "70000"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/trainer options\.metricsPort: /);
  });

  it("refuses to start without a key, saying where a key can come from", async () => {
    const result = await trainer(base);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("give --keystore FILE or set TRIBUTARY_TRAINER_KEY");
  });

  it("rejects a malformed private key in the environment, naming the variable", async () => {
    const result = await trainer(base, { TRIBUTARY_TRAINER_KEY: "0x1234" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/environment\.TRIBUTARY_TRAINER_KEY: must be a 32-byte hex private key/);
  });

  describe("keystore errors are one line, no stack trace", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "tributary-keystore-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const password = { TRIBUTARY_KEYSTORE_PASSWORD: "secret" };

    it("names a missing keystore file", async () => {
      const file = path.join(dir, "missing.json");
      const result = await trainer([...base, "--keystore", file], password);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe(`tributary: --keystore ${file}: no such file\n`);
    });

    it("names a corrupt keystore file", async () => {
      const file = path.join(dir, "corrupt.json");
      await writeFile(file, "{ this is not a keystore");
      const result = await trainer([...base, "--keystore", file], password);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(
          `^tributary: --keystore ${file.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not an encrypted JSON keystore this password opens \\([^\n]*\\)\\n$`,
        ),
      );
    });
  });

  it("refuses a real TEE it is not inside, saying why, and asks for the NSM helper with --tee nitro", async () => {
    const key = { TRIBUTARY_TRAINER_KEY: `0x${"11".repeat(32)}` };
    const sgx = await trainer([...base, "--tee", "sgx"], key);
    expect(sgx.code).not.toBe(0);
    expect(sgx.stderr).toMatch(/sgx enclave unavailable: \/dev\/attestation\/attestation_type does not exist/);
    const tdx = await trainer([...base, "--tee", "tdx"], key);
    expect(tdx.stderr).toMatch(/tdx enclave unavailable: \/sys\/kernel\/config\/tsm\/report does not exist/);
    const nitro = await trainer([...base, "--tee", "nitro"], key);
    expect(nitro.stderr).toMatch(/nsmHelper: --tee nitro needs --nsm-helper PATH/);
    const helper = await trainer([...base, "--tee", "nitro", "--nsm-helper", "/bin/true"], key);
    expect(helper.stderr).toMatch(/nitro enclave unavailable: \/dev\/nsm cannot be opened/);
  });

  it("checks the owner's policy flags", async () => {
    const key = { TRIBUTARY_TRAINER_KEY: `0x${"11".repeat(32)}` };
    const metrics = await trainer([...base, "--update-metrics", "loss,weights"], key);
    expect(metrics.stderr).toMatch(/trainer options\.updateMetrics\[1\]/);
    const precision = await trainer([...base, "--metric-precision", "-1"], key);
    expect(precision.stderr).toMatch(/trainer options\.metricPrecision/);
    const tokens = await trainer([...base, "--payment-tokens", `0x${"22".repeat(20)}`], key);
    expect(tokens.stderr).toBe("tributary: --payment-tokens and --deployment need --rpc (the chain to check on)\n");
  });
});
