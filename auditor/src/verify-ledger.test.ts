import { randomBytes } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobLedger } from "@tributary/protocol";
import type { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerServer, type PlayedJob, playJob, startLedgerServer } from "../test-support/ledger-job.js";
import { coordinatorBlobFetcher, fetchLedger } from "./coordinator-ledger.js";
import type { LedgerReport } from "./ledger-report.js";
import { verifyLedger } from "./verify-ledger.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let server: LedgerServer;
/** Three rounds, three trainers, leave-one-out scores (random shares), finalised. */
let job: PlayedJob;
/** Three rounds, four trainers, `examples` scoring, finalised. */
let examplesJob: PlayedJob;

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  server = await startLedgerServer();
  job = await playJob(chain, { rounds: 3, trainers: 3, scoring: "leave-one-out" });
  examplesJob = await playJob(chain, { rounds: 3, trainers: 4, scoring: "examples" });
});

afterAll(async () => {
  await server?.close();
  provider?.destroy();
  await chain?.stop();
});

/** Serves `ledger` (or the job's faithful one), fetches it back like an auditor and verifies it against the chain. */
async function audit(played: PlayedJob, ledger: JobLedger = played.ledger()): Promise<LedgerReport> {
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

function leafOf(ledger: JobLedger, round: number, trainer: number) {
  const leaf = ledger.rounds.find((r) => r.round === round)?.leaves[trainer];
  if (leaf === undefined) throw new Error(`no leaf ${trainer} in round ${round}`);
  return leaf;
}

describe("verifyLedger", () => {
  it("accepts a faithful ledger, having checked every round, leaf, blob and payout", async () => {
    const report = await audit(job);
    expect(report.disagreements).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({ jobId: String(job.jobId), chainId: "31337" });
    // 3 rounds × 3 leaves; 9 update blobs + 3 model blobs; one payout per trainer.
    expect(report.checked).toEqual({ rounds: 3, leaves: 9, blobs: 12, blobsUnreachable: 0, payouts: 3 });
    expect((await audit(examplesJob)).ok).toBe(true);
  });

  it("names the round and the trainer of a leaf whose score was altered after anchoring", async () => {
    const ledger = job.ledger();
    const altered = leafOf(ledger, 2, 1);
    altered.score = String(BigInt(altered.score) + 10n ** 16n);
    const report = await audit(job, ledger);
    expect(report.ok).toBe(false);
    const anchored = job.ledger().rounds[1]?.updatesRoot;
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "round-root", round: 2, expected: anchored }),
    );
    const leaves = report.disagreements.filter((d) => d.kind === "leaf");
    expect(leaves).toEqual([expect.objectContaining({ round: 2, trainer: altered.trainer })]);
    // Only the altered trainer's payout is out of line with the amounts the chain's payout root proves.
    expect(report.disagreements.filter((d) => d.kind === "payout-amount").map((d) => d.trainer)).toEqual([
      altered.trainer,
    ]);
    expect(report.disagreements.find((d) => d.kind === "round-root")?.message).toMatch(
      /^round 2: root recomputed from the ledger's leaves 0x[0-9a-f]{64} ≠ anchored 0x[0-9a-f]{64}/,
    );
    // No other round is blamed.
    expect(new Set(report.disagreements.flatMap((d) => (d.round === undefined ? [] : [d.round])))).toEqual(
      new Set([2]),
    );
  });

  it("names the leaf whose numExamples was altered under examples scoring (its score no longer matches)", async () => {
    const ledger = examplesJob.ledger();
    const altered = leafOf(ledger, 1, 2);
    altered.numExamples = String(BigInt(altered.numExamples) + 7n);
    const report = await audit(examplesJob, ledger);
    expect(report.ok).toBe(false);
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "round-root", round: 1 }));
    expect(report.disagreements.filter((d) => d.kind === "leaf")).toEqual([
      expect.objectContaining({ round: 1, trainer: altered.trainer }),
    ]);
    // numExamples is not part of the payouts: they still agree.
    expect(report.disagreements.some((d) => d.kind.startsWith("payout"))).toBe(false);
  });

  it("reports a blob whose bytes do not hash to its leaf's updateHash, with the round and trainer", async () => {
    server.serve(job);
    const ledger = job.ledger();
    const leaf = leafOf(ledger, 1, 0);
    const report = await (async () => {
      const fetched = await fetchLedger(server.url, job.jobId);
      server.state.blobs.get(String(job.jobId))?.set(leaf.updateCid, randomBytes(100));
      return verifyLedger({
        ledger: fetched,
        provider,
        trainingJobs: chain.system.deployment.contracts.TrainingJobs,
        fetchBlob: coordinatorBlobFetcher(server.url, fetched.jobId),
      });
    })();
    expect(report.ok).toBe(false);
    expect(report.disagreements).toEqual([
      expect.objectContaining({ kind: "update-blob", round: 1, trainer: leaf.trainer, expected: leaf.updateHash }),
    ]);
  });

  it("counts unreachable blobs as not checked, not as failures", async () => {
    const ledger = job.ledger();
    const report = await verifyLedger({
      ledger,
      provider,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      fetchBlob: async (cid) => (cid === ledger.rounds[0]?.modelCid ? undefined : job.blobs.get(cid)),
    });
    expect(report.ok).toBe(true);
    expect(report.checked).toMatchObject({ blobs: 11, blobsUnreachable: 1 });
    const none = await verifyLedger({ ledger, provider, trainingJobs: chain.system.deployment.contracts.TrainingJobs });
    expect(none.checked).toMatchObject({ blobs: 0, blobsUnreachable: 12 });
    expect(none.ok).toBe(true);
  });

  it("reports a leaf whose updateHash was changed: its CID no longer names it", async () => {
    const ledger = job.ledger();
    const leaf = leafOf(ledger, 3, 2);
    leaf.updateHash = `0x${"11".repeat(32)}`;
    const report = await audit(job, ledger);
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "update-cid", round: 3, trainer: leaf.trainer }),
    );
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "update-blob", round: 3, trainer: leaf.trainer }),
    );
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "round-root", round: 3 }));
  });

  it("reports an anchored round missing from the ledger", async () => {
    const ledger = job.ledger();
    const missing = ledger.rounds.splice(2, 1)[0];
    const report = await audit(job, ledger);
    expect(report.ok).toBe(false);
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "round-missing", round: 3, expected: missing?.updatesRoot }),
    );
    expect(report.checked.rounds).toBe(2);
  });

  it("reports a ledger round the chain never anchored though the ledger says it was", async () => {
    const ledger = job.ledger();
    const extra = structuredClone(ledger.rounds[2]);
    if (extra === undefined) throw new Error("no round 3");
    ledger.rounds.push({ ...extra, round: 4 });
    const report = await audit(job, ledger);
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "round-not-anchored", round: 4 }));
  });

  it("reports a wrong escrow, a wrong model hash and a ledger from another chain", async () => {
    const ledger = job.ledger();
    ledger.escrow = String(job.escrow + 1n);
    (ledger.rounds[0] as { modelHash: string }).modelHash = `0x${"22".repeat(32)}`;
    const report = await audit(job, ledger);
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({ kind: "escrow", expected: String(job.escrow), actual: String(job.escrow + 1n) }),
    );
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "model-hash", round: 1 }));

    const other = job.ledger();
    other.chainId = 1;
    const elsewhere = await verifyLedger({
      ledger: other,
      provider,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
    });
    expect(elsewhere.disagreements).toEqual([
      expect.objectContaining({ kind: "chain-id", expected: "31337", actual: "1" }),
    ]);
  });

  it("accepts a job still running: no payouts yet, a round whose anchor is pending is checked against itself", async () => {
    const running = await playJob(chain, { rounds: 2, trainers: 2, scoring: "leave-one-out", finalize: false });
    const ledger = running.ledger();
    const pending = structuredClone(ledger.rounds[1]);
    if (pending === undefined) throw new Error("no round 2");
    ledger.rounds.push({ ...pending, round: 3, anchor: { status: "pending", txHash: null } });
    const report = await audit(running, ledger);
    expect(report.disagreements).toEqual([]);
    expect(report.checked).toMatchObject({ rounds: 3, leaves: 6, payouts: 0 });
    (ledger.rounds[2] as { anchor: { status: string } }).anchor.status = "confirmed";
    const claimed = await audit(running, ledger);
    expect(claimed.disagreements).toEqual([expect.objectContaining({ kind: "round-not-anchored", round: 3 })]);
  });

  it("reports a payout leaf changed in the ledger (the scores still give the chain's root)", async () => {
    const ledger = job.ledger();
    const payout = ledger.payout;
    if (payout === null) throw new Error("job not finalised");
    const [first, second] = payout.leaves;
    if (first === undefined || second === undefined) throw new Error("fewer than two payouts");
    first.amount = String(BigInt(first.amount) + 5n);
    second.amount = String(BigInt(second.amount) - 5n);
    const report = await audit(job, ledger);
    expect(
      report.disagreements
        .filter((d) => d.kind === "payout-leaf")
        .map((d) => d.trainer)
        .sort(),
    ).toEqual([first.trainer, second.trainer].sort());
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "ledger-payout-root" }));
    expect(report.disagreements.some((d) => d.kind === "round-root" || d.kind === "payout-root")).toBe(false);
  });
});
