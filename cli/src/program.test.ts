import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const cliDir = path.resolve(import.meta.dirname, "..");
const bin = path.join(cliDir, "bin/tributary.js");

// Runs the built binary the way a user does (`npx tributary`), on the Node that `npm test` puts first on PATH.
async function tributary(...args: string[]) {
  return exec(process.execPath, [bin, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("tributary", () => {
  it("prints the package version with --version", async () => {
    const { version } = JSON.parse(await readFile(path.join(cliDir, "package.json"), "utf8")) as { version: string };
    const result = await tributary("--version");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it("describes itself with --help", async () => {
    const result = await tributary("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: tributary \[options\]/);
  });

  it("exits non-zero naming an unknown option", async () => {
    const result = await tributary("--frobnicate");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown option '--frobnicate'");
  });
});
