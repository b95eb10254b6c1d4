import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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
});
