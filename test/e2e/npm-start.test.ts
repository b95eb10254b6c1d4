import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");

describe("npm start (tributary up)", () => {
  it("trains a 2-round federated MLP across 2 trainer processes and ends with the JSON summary", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "tributary-up-"));
    try {
      const { stdout } = await exec(
        process.execPath,
        [bin, "up", "--exit", "--json", "--port", "0", "--clients", "2", "--rounds", "2", "--data-dir", dataDir],
        { maxBuffer: 16 * 1024 * 1024, timeout: 280_000 },
      );
      const lines = stdout.trim().split("\n");
      const summary = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
      expect(Object.keys(summary).sort()).toEqual(
        ["accuracy", "backend", "clients", "database", "durationS", "epsilonSpent", "jobId", "loss", "rounds"].sort(),
      );
      expect(summary).toMatchObject({ rounds: 2, clients: 2, database: "pglite", epsilonSpent: null });
      // Chance is 10 %; two IID rounds of an MLP on 8,000 digits reach well above 80 % (typically ~88 %).
      expect(summary.accuracy).toBeGreaterThan(0.8);
      expect(["wasm", "cpu", "tensorflow", "tensorflow-gpu"]).toContain(summary.backend);
      // Progress was shown per round, and the stand-in TEE was named as such.
      expect(stdout).toMatch(/round 1\/2 \[#+\] 2\/2 trainers/);
      expect(stdout).toMatch(/SIMULATED/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
