import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DEFAULT_DEPLOY_OPTIONS } from "@tributary/contracts/deploy";
import { LocalChain } from "@tributary/contracts/local-chain";
import { parseEther } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { type Market, readRunModel, referenceAccuracy } from "./npm-start-market.js";

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
  "market",
  "ocean",
  "payouts",
  "rounds",
  "verification",
];
const MARKET_FIELDS = [
  "accuracy",
  "contributorRevenueWei",
  "modelId",
  "p50Ms",
  "p99Ms",
  "paidWei",
  "providerRevenueWei",
  "requests",
];
const REWARD = parseEther("1000");
/** What each owner asks per round unless told otherwise (`tributary up --price-per-round`, documented default). */
const DEFAULT_PRICE = parseEther("1");
const FEE_BPS = DEFAULT_DEPLOY_OPTIONS.jobs.protocolFeeBps;
/** The market's documented defaults: a licence of 100 TRIB, 1,000 requests of one example at 0.001 TRIB each. */
const LICENCE_PRICE = parseEther("100");
const REQUESTS = 1_000;
const PRICE_PER_EXAMPLE = parseEther("0.001");
const MODEL_SPLIT = DEFAULT_DEPLOY_OPTIONS.models;
/** More than the market needs: the minimum stake, a licence, and the channels' deposits. */
const MARKET_FUNDS = MODEL_SPLIT.minModelStake + LICENCE_PRICE + parseEther("10");

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
  return { stdout, summary, payouts: summary.payouts as Payout[], market: summary.market as Market, dataDir };
}

/**
 * ModelRegistry's split of a licence sold at `price` (the contract's rule, from the deployment's parameters): the
 * contributors' pool is (price − fee) × contributorShareBps / 10⁴, and each contributor may claim
 * ⌊pool × payoutᵢ / payoutTotal⌋ of it.
 */
function contributorShares(price: bigint, payouts: readonly bigint[], payoutTotal: bigint) {
  const fee = (price * MODEL_SPLIT.protocolFeeBps) / 10_000n;
  const pool = ((price - fee) * MODEL_SPLIT.contributorShareBps) / 10_000n;
  return { pool, shares: payouts.map((payout) => (pool * payout) / payoutTotal) };
}

/**
 * What every run's market line must say on its own: 1,000 requests, an accuracy far above chance, every request paid
 * at its price, exactly (one channel carries one request at a time), and all of it redeemed, the owners'
 * revenue the contract's pool split by their payouts, and sane latencies.
 */
function expectMarket(market: Market, payouts: readonly Payout[]) {
  expect(Object.keys(market).sort()).toEqual(MARKET_FIELDS);
  expect(market.modelId).toBe("1");
  expect(market.requests).toBe(REQUESTS);
  // Chance is 10 %; the job's model reaches well above 80 % on held-out digits.
  expect(market.accuracy).toBeGreaterThan(0.8);
  expect(market.accuracy).toBeLessThanOrEqual(1);
  const cost = BigInt(REQUESTS) * PRICE_PER_EXAMPLE;
  expect(BigInt(market.paidWei)).toBe(cost);
  expect(market.providerRevenueWei).toBe(market.paidWei);
  const amounts = payouts.map((payout) => BigInt(payout.amount));
  const total = amounts.reduce((sum, amount) => sum + amount, 0n);
  const { shares } = contributorShares(LICENCE_PRICE, amounts, total);
  expect(BigInt(market.contributorRevenueWei)).toBe(shares.reduce((sum, share) => sum + share, 0n));
  expect(market.p50Ms).toBeGreaterThan(0);
  expect(market.p99Ms).toBeGreaterThanOrEqual(market.p50Ms);
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
    const { stdout, summary, payouts, market } = await up(["--chain-port", "0", "--rounds", "2"]);
    expect(Object.keys(summary).sort()).toEqual(SUMMARY_FIELDS);
    // Verified inference runs only with --cheater.
    expect(summary.verification).toBeNull();
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
    // Then the market: the model listed and announced to the router, 1,000 paid requests through it over four
    // channels, each closed on the local chain's clock.
    expectMarket(market, payouts);
    expect(stdout).toMatch(/provider: announced to http:\/\/127\.0\.0\.1:\d+ until /);
    expect(stdout).toMatch(/requests: through the task router at http:\/\/127\.0\.0\.1:\d+ .* on each of 4 channels/);
    for (const id of [1, 2, 3, 4]) {
      expect(stdout).toMatch(new RegExp(`buyer: start closing channel ${id}: transaction 0x[0-9a-f]{64}`));
      expect(stdout).toMatch(new RegExp(`buyer: close channel ${id} and refund the rest: transaction 0x[0-9a-f]{64}`));
    }
    expect(stdout).toMatch(/closed after their expiry and challenge period/);
  }, 300_000);

  it("--no-market stops after the payouts: no model listed, market null", async () => {
    const { stdout, summary } = await up(["--chain-port", "0", "--rounds", "1", "--no-market"]);
    expect(summary).toMatchObject({ ledgerVerified: true, market: null });
    expect(stdout).not.toMatch(/^market/m);
    expect(stdout).not.toMatch(/registerModel|register job/);
  }, 300_000);

  it("--secagg: 3 owners train one round under SecAgg+, are scored by their examples, the ledger verifies, and the JSON line says so", async () => {
    const { stdout, summary, payouts } = await up([
      "--chain-port",
      "0",
      "--rounds",
      "1",
      "--no-market",
      "--secagg",
      "--clients",
      "3",
    ]);
    expect(Object.keys(summary).sort()).toEqual([...SUMMARY_FIELDS, "secureAggregation"].sort());
    expect(summary).toMatchObject({ secureAggregation: true, ledgerVerified: true, clients: 3, market: null });
    expect(stdout).toMatch(
      /secure aggregation \(SecAgg\+, t = 2 of k = 2 neighbours\): the coordinator sees only each round's sum/,
    );
    expect(stdout).toMatch(/contributions scored by examples/);
    // Scored by committed example counts: an iid split of the shipped digits gives each owner a third, to a record.
    expect(payouts).toHaveLength(3);
    for (const payout of payouts) expect(payout.score).toBeCloseTo(1 / 3, 2);
    expect(summary.accuracy as number).toBeGreaterThan(0.5);
  }, 300_000);

  it("--ocean: each owner publishes its dataset on Ocean, the researcher orders each, the owners' agents check the orders, the job runs", async () => {
    const { stdout, summary } = await up(["--chain-port", "0", "--rounds", "1", "--no-market", "--ocean"]);
    expect(summary).toMatchObject({ ledgerVerified: true, market: null });
    const ocean = summary.ocean as {
      factory: string;
      nfts: string[];
      datatokens: string[];
      dids: string[];
      orders: string[];
    };
    expect(Object.keys(ocean).sort()).toEqual(["datatokens", "dids", "factory", "nfts", "orders"]);
    for (const list of [ocean.nfts, ocean.datatokens, ocean.dids, ocean.orders]) {
      expect(list).toHaveLength(2);
      expect(new Set(list).size).toBe(2);
    }
    for (const did of ocean.dids) expect(did).toMatch(/^did:op:[0-9a-f]{64}$/);
    expect(stdout).toMatch(/the researcher holds an Ocean order for each of the 2 datasets/);
    // Each owner's agent states that it checks the job's researcher's order on chain before every round.
    expect(stdout.match(/trainer \d: .*the job's researcher must hold a valid datatoken order/g)).toHaveLength(2);
  }, 300_000);

  it("with --rpc, runs on a chain it did not start: escrow = claims + fee + refund to the wei, read from the chain", async () => {
    const chain = await LocalChain.start();
    cleanup.push(() => chain.stop());
    // A researcher of its own (not the deployer), holding the reward and MARKET_FUNDS in TRIB (it funds the
    // provider's stake and the buyer's licence and deposit) and ETH for everyone's gas.
    const researcher = await chain.fundedWallet({ tokens: REWARD + MARKET_FUNDS });
    const dir = await mkdtemp(path.join(tmpdir(), "tributary-up-rpc-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const deployment = path.join(dir, "deployment.json");
    await writeFile(deployment, JSON.stringify(chain.system.deployment));

    const { summary, payouts, market, dataDir } = await up(
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
    for (const payout of payouts) expect(await jobs.isClaimed(jobId, payout.trainer)).toBe(true);

    // The market, read from the chain itself.
    expectMarket(market, payouts);
    const { models, channels, staking } = chain.system.contracts;
    const modelId = BigInt(market.modelId);
    const model = await models.getModel(modelId);
    const provider = model.provider.toLowerCase();
    expect(model.jobId).toBe(jobId);
    expect(model.modelHash).toBe((await jobs.getRound(jobId, job.rounds)).modelHash);
    expect(model.licensePrice).toBe(LICENCE_PRICE);
    expect(model.pricePerToken).toBe(PRICE_PER_EXAMPLE);
    expect(model.stake).toBe(MODEL_SPLIT.minModelStake);
    expect(await staking.lockedOf(provider)).toBe(MODEL_SPLIT.minModelStake);
    expect(await models.isProviderApproved(jobId, provider)).toBe(true);
    expect(provider).not.toBe(researcher.address.toLowerCase());
    // One licence, split by the contract's parameters; the pool is what the owners claimed, each by its payout.
    const licences = await models.queryFilter(models.filters.LicensePurchased(modelId));
    expect(licences).toHaveLength(1);
    const sold = licences[0] as (typeof licences)[number];
    const buyer = sold.args.buyer.toLowerCase();
    expect(sold.args.price).toBe(LICENCE_PRICE);
    const split = contributorShares(
      LICENCE_PRICE,
      payouts.map((payout) => BigInt(payout.amount)),
      job.payoutTotal,
    );
    expect(sold.args.contributorShare).toBe(split.pool);
    expect(await models.contributorPool(modelId)).toBe(split.pool);
    const revenue = await models.queryFilter(models.filters.ContributorRevenueClaimed(modelId));
    expect(revenue.map((log) => [log.args.trainer.toLowerCase(), log.args.amount])).toEqual(
      payouts.map((payout, index) => [payout.trainer, split.shares[index]]),
    );
    expect(revenue.reduce((sum, log) => sum + log.args.amount, 0n)).toBe(BigInt(market.contributorRevenueWei));
    // The provider's revenue is what PaymentChannels paid it on redeeming the buyer's four channels; they stay
    // open on a chain the demo does not own (its clock cannot be moved past the expiry).
    const opened = await channels.queryFilter(channels.filters.ChannelOpened(undefined, buyer, provider));
    expect(opened).toHaveLength(4);
    let redeemedTotal = 0n;
    let paidTotal = 0n;
    let deposits = 0n;
    for (const log of opened) {
      const { channelId } = log.args;
      const redeemed = await channels.queryFilter(channels.filters.VoucherRedeemed(channelId));
      redeemedTotal += redeemed.reduce((sum, event) => sum + event.args.payout, 0n);
      const channel = await channels.getChannel(channelId);
      paidTotal += channel.paid;
      deposits += channel.deposit;
      expect(channel.status).toBe(1n); // Open
    }
    expect(redeemedTotal).toBe(BigInt(market.providerRevenueWei));
    expect(paidTotal).toBe(BigInt(market.paidWei));
    // Every account holds what it should: each owner its payout and its revenue share; the provider what it redeemed
    // (its stake is locked on Staking, its licence share credited on ModelRegistry); the buyer nothing (the licence
    // and the deposit spent); the researcher its refund and what it did not hand out.
    for (const [index, payout] of payouts.entries()) {
      expect(await token.balanceOf(payout.trainer)).toBe(BigInt(payout.amount) + (split.shares[index] as bigint));
    }
    expect(await token.balanceOf(provider)).toBe(BigInt(market.providerRevenueWei));
    expect(await token.balanceOf(buyer)).toBe(0n);
    expect(await token.balanceOf(researcher.address)).toBe(
      job.refunded + MARKET_FUNDS - model.stake - LICENCE_PRICE - deposits,
    );
    // The accuracy over HTTP is the served model's on the validation set its spec names, evaluated here in float64
    // from the weights whose hash is the model's on ModelRegistry (within 2 records: float32 near-ties).
    const run = await readRunModel(dataDir);
    expect(run.sha256).toBe(model.modelHash);
    expect(run.validation.count).toBe(REQUESTS);
    expect(Math.abs(market.accuracy - referenceAccuracy(run, REQUESTS))).toBeLessThanOrEqual(2 / REQUESTS);
  }, 300_000);
});
