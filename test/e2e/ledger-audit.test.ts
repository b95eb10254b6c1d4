import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobLedger } from "@tributary/protocol";
import { Wallet } from "ethers";
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
import { ok, request, signInAs } from "../../coordinator/test-support/rest.js";
import { deleteStoredBlob, overwriteSegmentBlob } from "../../coordinator/test-support/segment-blobs.js";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");

interface Report {
  ok: boolean;
  checked: { rounds: number; leaves: number; blobs: number; signatures: number; unsignedLeaves: number };
  disagreements: { kind: string; round?: number; chainRound?: number; trainer?: string; message: string }[];
  warnings: { kind: string; trainer?: string; message: string }[];
}

/**
 * Hardhat's first account (its published, well-known development key): LocalChain's deployer, which creates the
 * jobs and so is their researcher, who may read their blobs.
 */
const RESEARCHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/**
 * `tributary ledger verify --json`, as an auditor runs it: its exit code and its JSON report. It signs in with
 * `key` (TRIBUTARY_AUDITOR_KEY; default the researcher's) to read the job's blobs; `null`: no key.
 */
async function ledgerVerify(
  jobId: string,
  rpc: string,
  coordinator: string,
  trainingJobs: string,
  key: string | null = RESEARCHER_KEY,
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
    const { TRIBUTARY_AUDITOR_KEY: _inherited, ...inherited } = process.env;
    const env = key === null ? inherited : { ...inherited, TRIBUTARY_AUDITOR_KEY: key };
    const { stdout } = await exec(process.execPath, args, { timeout: 60_000, env });
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

      // Item 1 on chain: the chain is the job's authority. Its researcher is told to cancel on TrainingJobs (409),
      // a stranger is refused (403), an anonymous caller too (401); the job is not cancelled.
      const cancel = `/jobs/${jobId}/cancel`;
      const researcherToken = await signInAs(coordinator.url, new Wallet(RESEARCHER_KEY), chain.chainId);
      const strangerToken = await signInAs(coordinator.url, Wallet.createRandom(), chain.chainId);
      expect((await request(coordinator.url, "POST", cancel)).status).toBe(401);
      expect((await request(coordinator.url, "POST", cancel, undefined, strangerToken)).status).toBe(403);
      const byResearcher = await request<{ error: { message: string } }>(
        coordinator.url,
        "POST",
        cancel,
        undefined,
        researcherToken,
      );
      expect(byResearcher.status).toBe(409);
      expect(byResearcher.body.error.message).toMatch(/cancels it there with cancelJob/);
      expect((await ok<{ status: string }>(coordinator.url, "GET", `/jobs/${jobId}`)).status).not.toBe("cancelled");

      // Without a key the auditor checks what is public and says the blobs were not accessible.
      const anonymous = await ledgerVerify(jobId, chain.url, coordinator.url, trainingJobs, null);
      expect(anonymous).toMatchObject({ code: 0, report: { ok: true, checked: { rounds: 2, leaves: 6, blobs: 0 } } });
      expect(anonymous.report.warnings.find((w) => w.kind === "blobs-skipped")?.message).toMatch(
        /not accessible: no TRIBUTARY_AUDITOR_KEY or --keystore/,
      );
      // A stranger's key signs in but may not read the job's blobs: each is reported unavailable, never passed.
      const stranger = await ledgerVerify(
        jobId,
        chain.url,
        coordinator.url,
        trainingJobs,
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
      );
      expect(stranger.code).toBe(1);
      expect(stranger.report.disagreements.every((d) => d.kind === "blob-unavailable")).toBe(true);

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

      // One update blob disappears from the coordinator's store, another is overwritten on disk with other bytes
      // (which the coordinator then refuses to serve): neither may pass as "not reachable".
      const deleted = ledger.rounds[0]?.leaves[0];
      const corrupted = ledger.rounds[1]?.leaves[2];
      if (deleted === undefined || corrupted === undefined) throw new Error("fewer leaves than trainers");
      await deleteStoredBlob(coordinator, deleted.updateCid);
      await overwriteSegmentBlob(db.dataDir, corrupted.updateCid, 7);
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
