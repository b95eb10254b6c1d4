import { LocalChain } from "@tributary/contracts/local-chain";
import type { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerServer, type PlayedJob, playJob, startLedgerServer } from "../test-support/ledger-job.js";
import { coordinatorBlobFetcher, fetchLedger } from "./coordinator-ledger.js";
import { verifyLedger } from "./verify-ledger.js";

const TRIB = 10n ** 18n;
/** Trainer 0's dataset asks 480 TRIB a round, the others 1 TRIB: floors 960 + 2 + 1 fit the budget of 975.6. */
const PRICES = [480n * TRIB, TRIB, TRIB];

let chain: LocalChain;
let provider: JsonRpcProvider;
let server: LedgerServer;

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  server = await startLedgerServer();
});

afterAll(async () => {
  await server?.close();
  provider?.destroy();
  await chain?.stop();
});

async function audit(played: PlayedJob) {
  server.serve(played);
  const ledger = await fetchLedger(server.url, played.jobId);
  return verifyLedger({
    ledger,
    provider,
    trainingJobs: chain.system.deployment.contracts.TrainingJobs,
    fetchBlob: coordinatorBlobFetcher(server.url, ledger.jobId),
  });
}

describe("verifyLedger's payouts with pricePerRound floors", () => {
  it("accepts payouts that pay each dataset's floor for its rounds and split the rest by score", async () => {
    const played = await playJob(chain, { rounds: 2, trainers: 3, scoring: "examples", pricePerRound: PRICES });
    // Hand-worked: escrow 1000 TRIB at 2.5 %: budget B = ⌊1000e18 · 10000 / 10250⌋ (+ wei while it fits). Trainer 0
    // took part in 2 rounds (floor 960), trainer 1 in 2 (floor 2), trainer 2 in 1 (rejected in the last: floor 1).
    const budget = (1000n * TRIB * 10_000n) / 10_250n;
    const amounts = played.plan.leaves.map((leaf) => leaf.amount);
    expect(
      amounts[played.plan.leaves.findIndex((leaf) => leaf.trainer === played.trainers[0]?.address.toLowerCase())],
    ).toBeGreaterThanOrEqual(960n * TRIB);
    expect(played.plan.floorTotal).toBe(963n * TRIB);
    expect(played.plan.budget - budget).toBeLessThanOrEqual(1n);
    const report = await audit(played);
    expect(report.disagreements).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("catches a ledger, finalised on chain, that ignored the floors, and names the trainer paid below its floor", async () => {
    const played = await playJob(chain, {
      rounds: 2,
      trainers: 3,
      scoring: "examples",
      pricePerRound: PRICES,
      ignoreFloors: true,
    });
    const first = played.trainers[0]?.address.toLowerCase();
    // By score alone trainer 0 gets B · (its summed share of 2 rounds) / 2, at most 0.91 · 975.6 < 960 TRIB.
    const paid = played.plan.leaves.find((leaf) => leaf.trainer === first)?.amount ?? 0n;
    expect(paid).toBeLessThan(960n * TRIB);
    const report = await audit(played);
    expect(report.ok).toBe(false);
    expect(report.disagreements).toContainEqual(
      expect.objectContaining({
        kind: "payout-floor",
        trainer: first,
        expected: String(960n * TRIB),
        actual: String(paid),
      }),
    );
    const floorMessage = report.disagreements.find((d) => d.kind === "payout-floor")?.message ?? "";
    expect(floorMessage).toMatch(/pricePerRound 480000000000000000000 on DatasetRegistry × 2 round\(s\)/);
    expect(report.disagreements).toContainEqual(expect.objectContaining({ kind: "payout-root" }));
  });
});
