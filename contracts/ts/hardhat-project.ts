import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The Hardhat project this package belongs to: the nearest folder above this module that holds
 * `hardhat.config.ts`. Found from the module's own location, not the working directory, so a chain starts the
 * same from any package's process (the CLI, a coordinator test) and from this package's source (`ts/`) or its
 * build (`dist/ts/`).
 */
export function findHardhatRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "hardhat.config.ts"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no hardhat.config.ts in ${from} or any folder above it`);
  }
}

/** Where the root `hardhat.config.ts` puts artifacts and its cache, relative to the Hardhat root (kept in step). */
export const ARTIFACTS_DIR = "contracts/artifacts";
export const CACHE_DIR = "contracts/cache";

/** One artifact every deployment needs: when it exists, `hardhat compile` has run. */
const PROBE_ARTIFACT = "contracts/src/jobs/TrainingJobs.sol/TrainingJobs.json";

let compiling: Promise<void> | undefined;

/**
 * Compiles the contracts (`hardhat compile --quiet` in the Hardhat root) unless their artifacts exist already.
 * The compiler runs on the Node that runs this process (Hardhat refuses Node < 22, and `npx` could pick the
 * machine's older one); its output goes to stderr so a command's stdout stays its own. Concurrent callers in one
 * process share a single compilation.
 */
export function ensureCompiled(root: string = findHardhatRoot()): Promise<void> {
  if (existsSync(join(root, ARTIFACTS_DIR, PROBE_ARTIFACT))) return Promise.resolve();
  compiling ??= compile(root).finally(() => {
    compiling = undefined;
  });
  return compiling;
}

function compile(root: string): Promise<void> {
  const require = createRequire(join(root, "package.json"));
  const hardhatPackage = require.resolve("hardhat/package.json");
  const { bin } = require("hardhat/package.json") as { bin: { hardhat: string } };
  const cli = join(dirname(hardhatPackage), bin.hardhat);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "compile", "--quiet"], { cwd: root, stdio: ["ignore", 2, 2] });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`hardhat compile in ${root} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
