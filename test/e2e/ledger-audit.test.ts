import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobLedger } from "@tributary/protocol";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES } from "../../coordinator/test-support/databases.js";
import {
  connectTrainers,
  createOnChainJob,
  evaluate,
  intentsSettled,
  startChainCoordinator,
  trainRound,
} from "../../coordinator/test-support/on-chain-job.js";
import { ok } from "../../coordinator/test-support/rest.js";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");

interface Report {
  ok: boolean;
  checked: { rounds: number; leaves: number; blobs: number; signatures: number; unsignedLeaves: number };
  disagreements: { kind: string; round?: number; chainRound?: number; trainer?: string; message: string }[];
  warnings: { kind: string; trainer?: string; message: string }[];
}

/** `tributary ledger verify --json`, as an auditor runs it: its exit code and its JSON report. */
async function ledgerVerify(
  jobId: string,
  rpc: string,
  coordinator: string,
  trainingJobs: string,
): Promise<{ code: number; report: Report }> {
  const args = [
    bin,
    "ledger",
    "verify",
    "--job",
    jobId,
    "--rpc",
    rpc,
    "--coordinator",
    coordinator,
    "--training-jobs",
    trainingJobs,
    "--json",
  ];
  try {
    const { stdout } = await exec(process.execPath, args, { timeout: 60_000 });
    return { code: 0, report: JSON.parse(stdout.trim().split("\n").at(-1) as string) };
  } catch (error) {
    const { code, stdout } = error as { code: number; stdout: string };
    return { code, report: JSON.parse(stdout.trim().split("\n").at(-1) as string) };
  }
}

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

describe("auditing an on-chain job with tributary ledger verify", () => {
  it("verifies the coordinator's ledger against the chain, and names the round and trainer of a leaf altered in its database", async () => {
    const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    const sender = await chain.fundedWallet();
    const coordinator = await startChainCoordinator(chain, db, sender);
    try {
      const { owners, datasets, jobId } = await createOnChainJob(chain, coordinator, sender, 2);
      const trainers = await connectTrainers(coordinator, owners, datasets, jobId);
      await trainRound(trainers, 1);
      await trainRound(trainers, 10);
      await evaluate(trainers, 1);
      await intentsSettled(coordinator, 4);
      for (const trainer of trainers) trainer.close();

      const trainingJobs = chain.system.deployment.contracts.TrainingJobs;
      const faithful = await ledgerVerify(jobId, chain.url, coordinator.url, trainingJobs);
      expect(faithful.report.disagreements).toEqual([]);
      expect(faithful).toMatchObject({ code: 0, report: { ok: true, checked: { rounds: 2, leaves: 6, blobs: 8 } } });
      // Every leaf carries its trainer's EIP-712 update signature, checked in the chain's TrainingJobs domain: no
      // "unsigned ledger" warning, only the loud one about the simulated attestations the trainers joined with.
      expect(faithful.report.checked).toMatchObject({ signatures: 6, unsignedLeaves: 0 });
      expect(faithful.report.warnings.map((warning) => warning.kind)).not.toContain("unsigned-ledger");
      expect(faithful.report.warnings.filter((warning) => warning.kind === "simulated-attestation")).toHaveLength(3);

      // The coordinator's operator quietly moves 1 % of round 2 from the first owner to the second.
      const [first, second] = owners.map((owner) => owner.address.toLowerCase());
      const moved = 10n ** 16n;
      await coordinator.app.get(DataSource).transaction(async (manager) => {
        await manager.query("UPDATE updates SET score = score - $1 WHERE job_id = $2 AND round = 1 AND trainer = $3", [
          String(moved),
          jobId,
          second,
        ]);
        await manager.query("UPDATE updates SET score = score + $1 WHERE job_id = $2 AND round = 1 AND trainer = $3", [
          String(moved),
          jobId,
          first,
        ]);
      });
      const ledger = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
      expect(ledger.rounds[1]?.leaves.find((leaf) => leaf.trainer === first)?.score).not.toBe(
        ledger.rounds[0]?.leaves.find((leaf) => leaf.trainer === first)?.score,
      );

      const tampered = await ledgerVerify(jobId, chain.url, coordinator.url, trainingJobs);
      expect(tampered.code).toBe(1);
      expect(tampered.report.ok).toBe(false);
      // The report numbers rounds as the coordinator does (updates.round = 1 is round 1, anchored as chain round 2).
      const named = tampered.report.disagreements.filter((d) => d.round === 1);
      expect(named.map((d) => d.kind)).toContain("round-root");
      expect(named.every((d) => d.chainRound === 2)).toBe(true);
      expect(named.some((d) => d.trainer === first)).toBe(true);
      // Round 0 is untouched and not blamed.
      expect(tampered.report.disagreements.some((d) => d.round === 0)).toBe(false);

      // The operator inflates the third owner's numExamples in round 0: the trainer's signature no longer covers
      // its leaf, and verify names that trainer (not only the round's root).
      const third = owners[2]?.address.toLowerCase() as string;
      await coordinator.app
        .get(DataSource)
        .query("UPDATE updates SET num_examples = num_examples * 10 WHERE job_id = $1 AND round = 0 AND trainer = $2", [
          jobId,
          third,
        ]);
      const inflated = await ledgerVerify(jobId, chain.url, coordinator.url, trainingJobs);
      expect(inflated.code).toBe(1);
      expect(inflated.report.disagreements).toContainEqual(
        expect.objectContaining({ kind: "update-signature", round: 0, trainer: third }),
      );
      expect(
        inflated.report.disagreements.find((d) => d.kind === "update-signature" && d.trainer === third)?.message,
      ).toMatch(/numExamples 6000/);

      // One update blob disappears from the coordinator's store, another is overwritten with other bytes (which the
      // coordinator then refuses to serve): neither may pass as "not reachable".
      const deleted = ledger.rounds[0]?.leaves[0];
      const corrupted = ledger.rounds[1]?.leaves[2];
      if (deleted === undefined || corrupted === undefined) throw new Error("fewer leaves than trainers");
      const blobFile = (cid: string) => path.join(db.dataDir, "blobs", cid.slice(-2), cid);
      await rm(blobFile(deleted.updateCid));
      await writeFile(blobFile(corrupted.updateCid), new Uint8Array(40).fill(7));
      const broken = await ledgerVerify(jobId, chain.url, coordinator.url, trainingJobs);
      expect(broken.code).toBe(1);
      const unavailable = broken.report.disagreements.filter((d) => d.kind === "blob-unavailable");
      expect(unavailable).toEqual([
        expect.objectContaining({ round: 0, trainer: deleted.trainer, actual: deleted.updateCid }),
        expect.objectContaining({ round: 1, trainer: corrupted.trainer, actual: corrupted.updateCid }),
      ]);
    } finally {
      await coordinator.close();
      await db.cleanup();
    }
  }, 180_000);
});
