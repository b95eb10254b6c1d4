import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobLedger, LedgerLeaf } from "@tributary/protocol";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerServer, type PlayedJob, playJob, signLeaf, startLedgerServer } from "../test-support/ledger-job.js";
import { coordinatorBlobFetcher, fetchLedger } from "./coordinator-ledger.js";
import type { LedgerReport } from "./ledger-report.js";
import { verifyLedger } from "./verify-ledger.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let server: LedgerServer;
/** Two rounds, three trainers, leave-one-out scores (not derived from numExamples), signed leaves. */
let job: PlayedJob;

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  server = await startLedgerServer();
  job = await playJob(chain, { rounds: 2, trainers: 3, scoring: "leave-one-out" });
});

afterAll(async () => {
  await server?.close();
  provider?.destroy();
  await chain?.stop();
});

/** Serves `ledger` over HTTP as a coordinator would, fetches it back and audits it against the chain. */
async function audit(played: PlayedJob, ledger: JobLedger): Promise<LedgerReport> {
  server.serve(played);
  server.state.ledgers.set(String(played.jobId), ledger);
  const fetched = await fetchLedger(server.url, played.jobId);
  return verifyLedger({
    ledger: fetched,
    provider,
    trainingJobs: chain.system.deployment.contracts.TrainingJobs,
    fetchBlob: coordinatorBlobFetcher(server.url, fetched.jobId),
  });
}

function leafOf(ledger: JobLedger, chainRound: number, index: number): LedgerLeaf {
  const leaf = ledger.rounds.find((round) => round.round === chainRound)?.leaves[index];
  if (leaf === undefined) throw new Error(`no leaf ${index} in chain round ${chainRound}`);
  return leaf;
}

describe("verifyLedger: update signatures and attestations", () => {
  it("names the trainer whose numExamples was altered under leave-one-out scoring", async () => {
    const ledger = job.ledger();
    const altered = leafOf(ledger, 2, 0);
    altered.numExamples = String(BigInt(altered.numExamples) * 1000n);
    const report = await audit(job, ledger);
    expect(report.ok).toBe(false);
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "round-root", round: 1 }));
    const signatures = report.disagreements.filter((d) => d.kind === "update-signature");
    expect(signatures).toEqual([
      expect.objectContaining({ round: 1, chainRound: 2, trainer: altered.trainer, expected: altered.trainer }),
    ]);
    expect(signatures[0]?.message).toMatch(
      new RegExp(`^round 1: leaf of ${altered.trainer}: its update signature is not ${altered.trainer}'s`),
    );
    expect(report.checked).toMatchObject({ signatures: 5, unsignedLeaves: 0 });
  });

  it("names the trainer of a leaf the coordinator signed with the wrong key, and which key it was", async () => {
    const ledger = job.ledger();
    const forged = leafOf(ledger, 1, 1);
    const wrongKey = Wallet.createRandom();
    const where = {
      jobId: job.jobId,
      chainRound: 1,
      chainId: chain.chainId,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
    };
    Object.assign(forged, await signLeaf(forged, where, wrongKey));
    const report = await audit(job, ledger);
    expect(report.ok).toBe(false);
    // Nothing the chain anchors changed: only the signature disagrees.
    expect(report.disagreements).toEqual([
      expect.objectContaining({
        kind: "update-signature",
        round: 0,
        trainer: forged.trainer,
        expected: forged.trainer,
        actual: wrongKey.address.toLowerCase(),
      }),
    ]);
  });

  it("rejects signatures made for another TrainingJobs deployment (the domain is the audited contract)", async () => {
    const ledger = job.ledger();
    const leaf = leafOf(ledger, 2, 2);
    const trainer = job.trainers[2] as (typeof job.trainers)[number];
    const where = {
      jobId: job.jobId,
      chainRound: 2,
      chainId: chain.chainId,
      trainingJobs: "0x00000000000000000000000000000000000000aa",
    };
    Object.assign(leaf, await signLeaf(leaf, where, trainer));
    const report = await audit(job, ledger);
    expect(report.disagreements).toEqual([
      expect.objectContaining({ kind: "update-signature", round: 1, trainer: leaf.trainer }),
    ]);
  });

  it("warns, without failing, about a ledger with no signatures (an older coordinator)", async () => {
    const unsigned = await playJob(chain, { rounds: 1, trainers: 2, scoring: "leave-one-out", signed: false });
    const report = await audit(unsigned, unsigned.ledger());
    expect(report.ok).toBe(true);
    expect(report.checked).toMatchObject({ signatures: 0, unsignedLeaves: 2 });
    expect(report.attestations).toEqual({ nitro: 0, sgx: 0, tdx: 0, simulated: 0, unknown: 2 });
    expect(report.warnings).toEqual([
      expect.objectContaining({
        kind: "unsigned-ledger",
        message: expect.stringMatching(/^unsigned ledger \(coordinator too old\)/),
      }),
    ]);
  });

  it("fails a ledger that signs every leaf but one, naming the unsigned leaf's trainer", async () => {
    const ledger = job.ledger();
    const stripped = leafOf(ledger, 2, 1);
    stripped.numExamples = String(BigInt(stripped.numExamples) + 1n);
    delete stripped.signature;
    delete stripped.nonce;
    delete stripped.delta;
    delete stripped.metricsHash;
    const report = await audit(job, ledger);
    expect(report.disagreements.filter((d) => d.kind === "unsigned-leaf")).toEqual([
      expect.objectContaining({ round: 1, trainer: stripped.trainer }),
    ]);
    expect(report.warnings.some((w) => w.kind === "unsigned-ledger")).toBe(false);
  });

  it("flags simulated attestations in the report, naming each trainer once", async () => {
    const simulated = await playJob(chain, {
      rounds: 2,
      trainers: 2,
      scoring: "leave-one-out",
      attestationKind: "simulated",
    });
    const report = await audit(simulated, simulated.ledger());
    expect(report.ok).toBe(true);
    expect(report.simulatedAttestation).toBe(true);
    expect(report.attestations).toEqual({ nitro: 0, sgx: 0, tdx: 0, simulated: 4, unknown: 0 });
    expect(report.warnings.map((w) => [w.kind, w.trainer])).toEqual(
      simulated.trainers
        .map((trainer) => trainer.address.toLowerCase())
        .sort()
        .map((trainer) => ["simulated-attestation", trainer]),
    );
  });
});
