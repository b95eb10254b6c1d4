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

  it("describes itself with --help, its commands grouped by the role that runs them", async () => {
    const result = await tributary("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: tributary \[options\]/);
    // Each group heading, in order, followed by the commands listed under it (up to the next blank line).
    const groups = [...result.stdout.matchAll(/^([A-Z][^\n]*):\n((?: {2}[^\n]*\n)+)/gm)].map(([, heading, body]) => [
      heading,
      [...(body ?? "").matchAll(/^ {2}([a-z][\w-]*)/gm)].map(([, name]) => name),
    ]);
    expect(groups).toEqual([
      ["Options", []],
      ["Data owner", ["dataset", "trainer", "claim"]],
      ["Researcher", ["job", "ocean", "privacy"]],
      ["Compute-to-data", ["c2d"]],
      ["Provider / staker / router", ["stake", "provider", "router"]],
      ["Models (buyers, researchers)", ["model"]],
      ["Inference buyer", ["channel"]],
      ["Verification (challengers, committee)", ["challenger", "committee"]],
      ["Zero-knowledge proofs", ["zk"]],
      ["Governance", ["gov", "token"]],
      ["Auditor", ["ledger", "attest"]],
      ["Operator", ["deploy", "coordinator"]],
      ["Keys", ["key"]],
      ["Demo", ["up", "sample-data"]],
      ["Commands", ["help"]],
    ]);
  });

  it("lists each chain command's shared flags in its help", async () => {
    for (const command of [
      ["stake", "deposit"],
      ["token", "delegate"],
      ["gov", "propose"],
      ["gov", "vote"],
      ["gov", "execute"],
      ["job", "create"],
      ["job", "cancel"],
      ["provider", "serve"],
      ["model", "predict"],
      ["channel", "open"],
      ["model", "register"],
      ["model", "buy"],
      ["model", "download"],
      ["model", "revenue"],
      ["model", "withdraw-revenue"],
    ]) {
      const result = await tributary(...command, "--help");
      expect(result.code).toBe(0);
      for (const flag of ["--rpc <url>", "--deployment <file>", "--json", "--keystore <file>"]) {
        expect(result.stdout).toContain(flag);
      }
    }
  });

  it("exits non-zero naming an unknown option", async () => {
    const result = await tributary("--frobnicate");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown option '--frobnicate'");
  });
});
