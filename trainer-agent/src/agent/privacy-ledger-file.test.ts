import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrivacyBudgetExceededError, PrivacyBudgetLedgerStateSchema } from "@tributary/privacy";
import { afterEach, describe, expect, it } from "vitest";
import { DatasetPrivacyGuard, privacyLedgerFile } from "./privacy-guard.js";

const CHARGER = fileURLToPath(new URL("../../test-support/charge-ledger.ts", import.meta.url));

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function charger(stateDir: string, count: number, epsilon: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@tributary/source", CHARGER, stateDir, "7", String(count), String(epsilon)],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

async function ledgerOnDisk(stateDir: string) {
  return PrivacyBudgetLedgerStateSchema.parse(JSON.parse(await readFile(privacyLedgerFile(stateDir, "7"), "utf8")));
}

describe("the privacy ledger shared by several guards and processes", () => {
  it("composes every charge of two guards on one state directory: the second sees what the first spent", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ledger-"));
    const trainer = await DatasetPrivacyGuard.open(dir, "7", { epsilon: 1, delta: 1e-5 });
    const node = await DatasetPrivacyGuard.open(dir, "7", { epsilon: 1, delta: 1e-5 });
    await trainer.chargeRelease({ epsilon: 0.4, delta: 0 }, "a");
    await node.chargeRelease({ epsilon: 0.4, delta: 0 }, "b");
    // 0.8 spent: another 0.4 from the first guard, whose own last charge saw 0.4, is refused, nothing written.
    await expect(trainer.chargeRelease({ epsilon: 0.4, delta: 0 }, "a")).rejects.toBeInstanceOf(
      PrivacyBudgetExceededError,
    );
    expect((await ledgerOnDisk(dir)).datasets["7"]?.other).toEqual([
      { epsilon: 0.4, delta: 0 },
      { epsilon: 0.4, delta: 0 },
    ]);
    expect(await trainer.refresh()).toEqual({ epsilon: 0.8, delta: 1e-5 });
    const report = await DatasetPrivacyGuard.readReport(dir, "7");
    expect(report?.byJob.map(({ label, spends, epsilon }) => [label, spends, epsilon])).toEqual([
      ["a", 1, 0.4],
      ["b", 1, 0.4],
    ]);
  });

  it("loses no charge when three processes and this one charge the same ledger at once", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ledger-"));
    const stateDir = dir;
    const guard = await DatasetPrivacyGuard.open(stateDir, "7", { epsilon: 1000, delta: 1e-5 });
    const perProcess = 25;
    const [codes] = await Promise.all([
      Promise.all([
        charger(stateDir, perProcess, 0.25),
        charger(stateDir, perProcess, 0.25),
        charger(stateDir, perProcess, 0.25),
      ]),
      (async () => {
        for (let i = 0; i < perProcess; i++) await guard.chargeRelease({ epsilon: 0.25, delta: 0 }, "here");
      })(),
    ]);
    expect(codes).toEqual([0, 0, 0]);
    const state = await ledgerOnDisk(stateDir);
    expect(state.datasets["7"]?.other).toHaveLength(4 * perProcess);
    expect(await guard.refresh()).toEqual({ epsilon: 4 * perProcess * 0.25, delta: 1e-5 });
  });

  it("removes a lock left by a process that is gone (killed mid-charge)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ledger-"));
    const guard = await DatasetPrivacyGuard.open(dir, "7", { epsilon: 10, delta: 1e-5 });
    const lock = `${privacyLedgerFile(dir, "7")}.lock`;
    // A pid no process has (above the kernel's pid_max).
    await writeFile(lock, "99999999");
    await guard.chargeRelease({ epsilon: 1, delta: 0 }, "after-crash");
    expect(guard.spent().epsilon).toBe(1);
  });
});
