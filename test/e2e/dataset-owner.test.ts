import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { Coordinator } from "@tributary/coordinator";
import type { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeployedChain, startDeployedChain } from "../../cli/test-support/deployed-chain.js";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";

// A data owner's own flow, as separate `tributary` processes against a real coordinator following a real chain:
// `dataset enrol DIR` registers the manifest's commitment on DatasetRegistry, the `tributary trainer` command it
// prints signs in and has its manifest accepted; after the files change, that trainer is refused until
// `dataset update --dir` recommits to them. The trainer enforces the ε/δ budget the dataset enrolled, or a smaller
// one the owner gives, never a larger one.

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");

let deployed: DeployedChain;
let db: TestDatabase;
let coordinator: Coordinator;
let owner: Wallet;
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  deployed = await startDeployedChain();
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  coordinator = await startChainCoordinator(deployed.chain, db, await deployed.chain.fundedWallet());
  owner = await deployed.chain.fundedWallet();
  dataDir = path.join(deployed.dir, "owner-data");
  await writeMnistIdx(dataDir, { train: 64, test: 16 });
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await coordinator?.close();
  await db?.cleanup();
  await deployed?.stop();
});

/** The owner's environment: its key, and none of anyone else's. */
function ownerEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TRIBUTARY_")));
  return { ...env, TRIBUTARY_TRAINER_KEY: owner.privateKey };
}

async function tributary(...args: string[]): Promise<Record<string, unknown>> {
  const chainArgs = ["--rpc", deployed.chain.url, "--deployment", deployed.deploymentFile, "--json"];
  const { stdout } = await exec(process.execPath, [bin, ...args, ...chainArgs], { env: ownerEnv(), timeout: 120_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as Record<string, unknown>;
}

/**
 * Runs the printed trainer command until it reports `connected` (signed in, manifest accepted) or exits; returns
 * which, and what it printed on stderr.
 */
function runTrainer(command: readonly string[]): Promise<{ connected: boolean; stderr: string; code: number | null }> {
  const args = [...command.slice(2), "--json-events", "--state-dir", path.join(deployed.dir, "trainer-state")];
  const child = spawn(process.execPath, [bin, "trainer", ...args], {
    env: ownerEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("{") && (JSON.parse(line) as { type: string }).type === "connected") {
        child.kill("SIGTERM");
        resolve({ connected: true, stderr, code: null });
      }
    });
    child.once("exit", (code) => resolve({ connected: false, stderr, code }));
  });
}

describe("a data owner's enrolment, served by the real trainer", () => {
  it("enrols, serves, is refused after the data changes, and serves again after `dataset update --dir`", async () => {
    const enrolled = await tributary(
      "dataset",
      "enrol",
      dataDir,
      "--price-per-round",
      "0",
      "--epsilon",
      "5",
      "--delta",
      "1e-5",
      "--coordinator",
      coordinator.url,
    );
    expect(enrolled).toMatchObject({ ok: true, coordinatorIndexed: true, owner: owner.address.toLowerCase() });
    const command = enrolled.trainerCommand as string[];
    expect(command.slice(0, 4)).toEqual(["tributary", "trainer", "--coordinator", coordinator.url]);

    const served = await runTrainer(command);
    expect(served.stderr).toBe("");
    expect(served.connected).toBe(true);

    // The owner's data changes: the trainer's files no longer hash to what was enrolled.
    await writeMnistIdx(dataDir, { train: 65, test: 16 });
    const refused = await runTrainer(command);
    expect(refused.connected).toBe(false);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^tributary: the local data \\(commitment 0x[0-9a-f]{64}\\) is not what dataset ${enrolled.datasetId} enrolled`,
      ),
    );

    const updated = await tributary("dataset", "update", String(enrolled.datasetId), "--dir", dataDir);
    const commitment = (updated.dataset as { commitment: string }).commitment;
    expect(commitment).not.toBe(enrolled.commitment);
    // The coordinator indexes the update from the chain; then the same trainer command serves the new files.
    for (let tries = 0; ; tries++) {
      const known = (await (await fetch(`${coordinator.url}/datasets/${enrolled.datasetId}`)).json()) as {
        commitment: string;
      };
      if (known.commitment === commitment) break;
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await runTrainer(command)).connected).toBe(true);
  });

  it("serves with the budget the dataset enrolled, a smaller one if the owner asks, and refuses a larger one", async () => {
    const dir = path.join(deployed.dir, "budget-data");
    await writeMnistIdx(dir, { train: 48, test: 16 });
    const enrolled = await tributary(
      "dataset",
      "enrol",
      dir,
      "--price-per-round",
      "0",
      "--epsilon",
      "3",
      "--delta",
      "1e-6",
      "--coordinator",
      coordinator.url,
    );
    const id = String(enrolled.datasetId);
    const command = enrolled.trainerCommand as string[];
    expect(command).not.toContain("--budget-epsilon");
    const stateDir = path.join(deployed.dir, "trainer-state");
    const enforced = async () => (await tributary("dataset", "budget", id, "--state-dir", stateDir)).enforced;

    // No budget flag: the trainer enforces what DatasetRegistry holds for the dataset.
    expect((await runTrainer(command)).connected).toBe(true);
    expect(await enforced()).toEqual({ epsilon: 3, delta: 1e-6 });

    // More than enrolled, in ε or in δ: refused in one line before the trainer reads its data or signs in.
    const larger = await runTrainer([...command, "--budget-epsilon", "3.5"]);
    expect(larger).toMatchObject({ connected: false, code: 1 });
    expect(larger.stderr).toBe(
      `tributary: --budget-epsilon 3.5 is more than dataset ${id} enrolled on DatasetRegistry (ε 3, δ 0.000001): the trainer may enforce a smaller budget, never a larger one (omit --budget-epsilon to enforce the enrolled one)\n`,
    );
    const looser = await runTrainer([...command, "--budget-delta", "1e-5"]);
    expect(looser.stderr).toMatch(/^tributary: --budget-delta 0\.00001 is more than dataset \d+ enrolled/);
    expect(await enforced()).toEqual({ epsilon: 3, delta: 1e-6 });

    // The enrolled value typed back, or less: served, and the smaller budget is the one enforced from then on.
    expect((await runTrainer([...command, "--budget-epsilon", "3", "--budget-delta", "1e-6"])).connected).toBe(true);
    expect((await runTrainer([...command, "--budget-epsilon", "1.5"])).connected).toBe(true);
    expect(await enforced()).toEqual({ epsilon: 1.5, delta: 1e-6 });
  });
});
