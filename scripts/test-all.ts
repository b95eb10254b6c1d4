// `npm test`: builds the workspaces, runs every suite (vitest for the TypeScript packages, Hardhat for the
// contracts), streams their output, and ends with one line `N passed, N failed` summed over all suites.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  exitCode: number;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? 1, output }));
  });
}

async function vitestSuite(): Promise<SuiteResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-vitest-"));
  const report = path.join(dir, "report.json");
  const { exitCode } = await run("vitest", [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  const parsed = JSON.parse(await readFile(report, "utf8").catch(() => "{}")) as {
    numPassedTests?: number;
    numFailedTests?: number;
  };
  await rm(dir, { recursive: true, force: true });
  // A crash before any report counts as one failure so it can never read as green.
  const failed = parsed.numFailedTests ?? 1;
  return {
    name: "vitest",
    passed: parsed.numPassedTests ?? 0,
    failed: exitCode !== 0 && failed === 0 ? 1 : failed,
    exitCode,
  };
}

async function hardhatSuite(): Promise<SuiteResult> {
  // Workspace packages resolve to their TypeScript sources here too, never to a stale dist/.
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=@tributary/source`.trim(),
  };
  const { exitCode, output } = await run("hardhat", ["test"], env);
  // Mocha prints "N passing" and Hardhat then repeats the total over all its runners ("N passing (N mocha)"):
  // the last such line is the total.
  const last = (pattern: RegExp) => Number([...output.matchAll(pattern)].at(-1)?.[1] ?? 0);
  const passed = last(/^\s*(\d+) passing/gm);
  const failed = last(/^\s*(\d+) failing/gm);
  return { name: "hardhat", passed, failed: exitCode !== 0 && failed === 0 ? 1 : failed, exitCode };
}

const build = await run("tsc", ["-b"]);
if (build.exitCode !== 0) {
  process.stdout.write("\nbuild failed\n0 passed, 1 failed\n");
  process.exit(1);
}

const results = [await vitestSuite(), await hardhatSuite()];
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
process.stdout.write("\n");
for (const r of results)
  process.stdout.write(`${r.name}: ${r.passed} passed, ${r.failed} failed (exit ${r.exitCode})\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(results.every((r) => r.exitCode === 0) && failed === 0 ? 0 : 1);
