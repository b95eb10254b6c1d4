import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import { LocalChain } from "@tributary/contracts/local-chain";
import { parseEther } from "ethers";
import { afterEach, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../cli/bin/tributary.js");

const SUMMARY_FIELDS = [
  "accuracy",
  "backend",
  "chainId",
  "clients",
  "database",
  "durationS",
  "epsilonSpent",
  "jobId",
  "ledgerVerified",
  "loss",
  "payouts",
  "rounds",
];
const REWARD = parseEther("1000");
/** What each owner asks per round unless told otherwise (`tributary up --price-per-round`, documented default). */
const DEFAULT_PRICE = parseEther("1");
const FEE_BPS = DEFAULT_DEPLOY_OPTIONS.jobs.protocolFeeBps;

interface Payout {
  trainer: string;
  datasetId: string;
  score: number;
  floor: string;
  amount: string;
}

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Runs `tributary up --exit --json` with 2 owners (2 processes) on the shipped MNIST digits; returns its output. */
async function up(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "tributary-up-"));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const { stdout } = await exec(
    process.execPath,
    [bin, "up", "--exit", "--json", "--port", "0", "--clients", "2", "--data-dir", dataDir, ...args],
    { maxBuffer: 16 * 1024 * 1024, timeout: 280_000, env },
  );
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Record<string, unknown>;
  return { stdout, summary, payouts: summary.payouts as Payout[] };
}

/**
 * The payout budget B of an escrow: the largest total with B + ⌊B·feeBps/10⁴⌋ ≤ escrow (TrainingJobs' rule that
 * payouts plus the fee never exceed the escrow), found from the closed form and adjusted by whole wei.
 */
function payoutBudget(escrow: bigint, feeBps: bigint): bigint {
  const fee = (total: bigint) => (total * feeBps) / 10_000n;
  let budget = (escrow * 10_000n) / (10_000n + feeBps);
  while (budget + 1n + fee(budget + 1n) <= escrow) budget += 1n;
  while (budget + fee(budget) > escrow) budget -= 1n;
  return budget;
}

/**
 * Every owner is paid its floor (its price per round × the rounds: each owner trains in every round here) and the
 * rest of the budget B in proportion to its share of the scores, amountᵢ = floorᵢ + ⌊(B − Σ floors)·shareᵢ⌋: the
 * whole budget but for ≤ 1 wei per owner.
 */
function expectPaidByScore(payouts: Payout[], escrow: bigint, floors: readonly bigint[]) {
  const budget = payoutBudget(escrow, FEE_BPS);
  const floorTotal = floors.reduce((sum, floor) => sum + floor, 0n);
  const total = payouts.reduce((sum, payout) => sum + BigInt(payout.amount), 0n);
  expect(total).toBeLessThanOrEqual(budget);
  expect(budget - total).toBeLessThanOrEqual(BigInt(payouts.length));
  expect(payouts.reduce((sum, payout) => sum + payout.score, 0)).toBeCloseTo(1, 9);
  for (const [index, payout] of payouts.entries()) {
    const floor = floors[index] as bigint;
    expect(BigInt(payout.floor)).toBe(floor);
    expect(payout.score).toBeGreaterThanOrEqual(0);
    expect(BigInt(payout.amount)).toBeGreaterThanOrEqual(floor);
    expect(Number(BigInt(payout.amount) - floor) / Number(budget - floorTotal)).toBeCloseTo(payout.score, 9);
  }
}

describe("npm start (tributary up)", () => {
  it("runs the marketplace on a local chain: 2 owners enrol at 1 TRIB per round, train 2 rounds, are paid their price and the rest by score, and the ledger verifies", async () => {
    const { stdout, summary, payouts } = await up(["--chain-port", "0", "--rounds", "2"]);
    expect(Object.keys(summary).sort()).toEqual(SUMMARY_FIELDS);
    expect(summary).toMatchObject({
      rounds: 2,
      clients: 2,
      database: "pglite",
      epsilonSpent: null,
      chainId: 31_337,
      ledgerVerified: true,
    });
    // Chance is 10 %; two IID rounds of an MLP on 8,000 digits reach well above 80 % (typically ~88 %).
    expect(summary.accuracy).toBeGreaterThan(0.8);
    expect(["wasm", "cpu", "tensorflow", "tensorflow-gpu"]).toContain(summary.backend);
    // One payout per owner, each owner its own account and its own dataset.
    expect(payouts).toHaveLength(2);
    expect(new Set(payouts.map((payout) => payout.trainer)).size).toBe(2);
    expect(new Set(payouts.map((payout) => payout.datasetId)).size).toBe(2);
    for (const payout of payouts) expect(payout.amount).toMatch(/^[0-9]+$/);
    expectPaidByScore(payouts, REWARD, [DEFAULT_PRICE * 2n, DEFAULT_PRICE * 2n]);
    // Each owner enrolled through `dataset enrol`'s core: its manifest, price and budget, then its transaction.
    expect(stdout).toMatch(
      /owner 1: enrolling from 0x[0-9a-fA-F]{40} on chain 31337: price 1 TRIB per round, ε 10, δ 0.00001/,
    );
    expect(stdout).toMatch(/owner 2: enrol a dataset with commitment 0x[0-9a-f]{64}: transaction 0x[0-9a-f]{64}/);
    // Progress was shown per round, the stand-in TEE was named as such, and the claims and verdict were shown.
    expect(stdout).toMatch(/round 1\/2 \[#+\] 2\/2 trainers/);
    expect(stdout).toMatch(/SIMULATED/);
    for (const payout of payouts) expect(stdout).toMatch(new RegExp(`${payout.trainer} .* 0x[0-9a-f]{64}`));
    expect(stdout).toMatch(/ledger verified: OK/);
  }, 300_000);

  it("with --rpc, runs on a chain it did not start: escrow = claims + fee + refund to the wei, read from the chain", async () => {
    const chain = await LocalChain.start();
    cleanup.push(() => chain.stop());
    // A researcher of its own (not the deployer), holding exactly the reward in TRIB and ETH for everyone's gas.
    const researcher = await chain.fundedWallet({ tokens: REWARD });
    const dir = await mkdtemp(path.join(tmpdir(), "tributary-up-rpc-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const deployment = path.join(dir, "deployment.json");
    await writeFile(deployment, JSON.stringify(chain.system.deployment));

    const { summary, payouts } = await up(
      [
        "--rpc",
        chain.url,
        "--deployment",
        deployment,
        "--confirmations",
        "0",
        "--rounds",
        "1",
        "--scoring",
        "gtg-shapley",
        "--price-per-round",
        "0.5",
      ],
      { ...process.env, TRIBUTARY_RESEARCHER_KEY: researcher.privateKey },
    );
    expect(summary).toMatchObject({ rounds: 1, clients: 2, chainId: 31_337, ledgerVerified: true });
    expect(payouts).toHaveLength(2);

    const { jobs, token, datasets } = chain.system.contracts;
    // Each owner's dataset on DatasetRegistry: owned by the account that was paid, at the price asked, × 1 round.
    const floors: bigint[] = [];
    for (const payout of payouts) {
      const dataset = await datasets.getDataset(BigInt(payout.datasetId));
      expect(dataset.owner.toLowerCase()).toBe(payout.trainer);
      expect(dataset.pricePerRound).toBe(parseEther("0.5"));
      floors.push(dataset.pricePerRound * 1n);
    }
    expectPaidByScore(payouts, REWARD, floors);

    const jobId = BigInt(summary.jobId as string);
    const job = await jobs.getJob(jobId);
    const claimed = payouts.reduce((sum, payout) => sum + BigInt(payout.amount), 0n);
    expect(job.researcher.toLowerCase()).toBe(researcher.address.toLowerCase());
    expect(job.status).toBe(3n); // Finalized
    expect(job.escrow).toBe(REWARD);
    expect(job.fee).toBe((job.payoutTotal * FEE_BPS) / 10_000n);
    expect(job.claimed).toBe(claimed);
    expect(job.claimed + job.fee + job.refunded).toBe(job.escrow);
    // Each owner's fresh account holds exactly its payout, and the researcher got the refund back.
    for (const payout of payouts) {
      expect(await jobs.isClaimed(jobId, payout.trainer)).toBe(true);
      expect(await token.balanceOf(payout.trainer)).toBe(BigInt(payout.amount));
    }
    expect(await token.balanceOf(researcher.address)).toBe(job.refunded);
  }, 300_000);
});
