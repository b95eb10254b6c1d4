import type { Address } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { describe, expect, it, vi } from "vitest";
import { type PlayedJob, playJob } from "../../../auditor/test-support/ledger-job.js";
import { useClaimWorld } from "../../test-support/claim-world.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

const STAKE = parseEther("1000");
const PRICE = parseEther("40");

const world = useClaimWorld();

/**
 * The job's researcher (the chain's deployer) stakes and registers a model of job `jobId` (0: of no job) on
 * ModelRegistry, and `buyers` new accounts each buy a licence at `PRICE`. Returns the model id.
 */
async function listedModel(jobId: bigint, buyers = 1): Promise<bigint> {
  const { token, staking, models } = world.chain.system.contracts;
  const researcher = world.chain.deployer;
  await (await token.connect(researcher).approve(staking, STAKE)).wait();
  await (await staking.connect(researcher).stake(STAKE)).wait();
  await (
    await models.connect(researcher).registerModel({
      modelHash: `0x${"5a".repeat(32)}`,
      modelURI: "ipfs://metadata",
      endpoint: "",
      pricePerToken: 1n,
      licensePrice: PRICE,
      paymentToken: await token.getAddress(),
      jobId,
      stake: STAKE,
    })
  ).wait();
  const modelId = await models.modelCount();
  for (let i = 0; i < buyers; i++) {
    const buyer = (await world.chain.fundedWallet({ tokens: PRICE })).connect(world.deployed.provider);
    await (await token.connect(buyer).approve(models, PRICE)).wait();
    await (await models.connect(buyer).purchaseLicense(modelId, PRICE)).wait();
  }
  return modelId;
}

/** What `owner` is due from `modelId`'s pool: pool × its payout in `job` / the job's payout total (closed form). */
async function due(job: PlayedJob, owner: Wallet, modelId: bigint): Promise<bigint> {
  const payout = job.plan.leaves.find((leaf) => leaf.trainer === (owner.address.toLowerCase() as Address))?.amount;
  const total = job.plan.leaves.reduce((sum, leaf) => sum + leaf.amount, 0n);
  return ((await world.chain.system.contracts.models.contributorPool(modelId)) * (payout as bigint)) / total;
}

const flags = () => world.flags();
const claimRevenue = (modelId: bigint | string, ...extra: string[]) =>
  tributary("claim", "--revenue", "--model", String(modelId), ...flags(), ...extra);

describe("tributary claim --revenue", () => {
  it("pays each contributor its share; refuses a proof the chain does not back, no payout, no job, no model", async () => {
    // Two rounds: the last trainer is rejected in the last one, but paid for the first.
    const job = await playJob(world.chain, { rounds: 2, trainers: 2, scoring: "examples" });
    world.server.serve(job);
    const modelId = await listedModel(job.jobId, 2);
    const [alice, bob] = job.trainers as [Wallet, Wallet];

    vi.stubEnv("TRIBUTARY_TRAINER_KEY", alice.privateKey);
    const expected = await due(job, alice, modelId);
    const before = await world.chain.tokenBalance(alice.address);
    const paid = await claimRevenue(modelId, "--json");
    expect(paid.stderr).toBe("");
    expect(jsonLine(paid.stdout)).toMatchObject({ ok: true, amount: String(expected) });
    expect((await world.chain.tokenBalance(alice.address)) - before).toBe(expected);

    // A coordinator serving bob a proof of a larger payout: refused before anything is sent.
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", bob.privateKey);
    const proof = world.server.state.proofs.get(String(job.jobId))?.get(bob.address.toLowerCase()) as {
      amount: string;
    };
    proof.amount = String(BigInt(proof.amount) + 1n);
    const forged = await claimRevenue(modelId, "--json");
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(
      /proof that job \d+ paid 0x[0-9a-f]{40} \d+ does not verify against the job's payout root/,
    );
    expect(jsonLine(forged.stdout)).toMatchObject({ ok: false, error: { code: "REVENUE_INVALID_PROOF" } });
    expect(await world.chain.system.contracts.models.contributorClaimed(modelId, bob.address)).toBe(0n);

    const stranger = await world.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", stranger.privateKey);
    const none = await claimRevenue(modelId);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`job ${job.jobId} paid nothing to ${stranger.address.toLowerCase()}`);
    const jobless = await listedModel(0n);
    const noJob = await claimRevenue(jobless);
    expect(noJob.code).toBe(1);
    expect(noJob.stderr).toBe(`tributary: model ${jobless} references no training job: it has no contributors\n`);
    const unknown = await claimRevenue(999n);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/knows no model 999\n$/);
  });

  it("refuses --revenue without --model, and with --all or --job", async () => {
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", (await world.chain.fundedWallet()).privateKey);
    const bare = await tributary("claim", "--revenue", ...flags());
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe("tributary: --revenue needs --model ID\n");
    const mixed = await claimRevenue(1n, "--all");
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/^tributary: --revenue claims one model's revenue/);
  });
});

describe("tributary claim --all with model revenue", () => {
  it("claims the payouts and the share of every model of the owner's jobs, then skips what is claimed", async () => {
    const owner = await world.chain.fundedWallet();
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", owner.privateKey);
    const job = await playJob(world.chain, { rounds: 1, trainers: 2, scoring: "examples", owners: [owner] });
    world.server.serve(job);
    const first = await listedModel(job.jobId);
    const second = await listedModel(job.jobId, 2);
    const shares = [await due(job, owner, first), await due(job, owner, second)];
    const before = await world.chain.tokenBalance(owner.address);
    const claimAll = (...extra: string[]) => tributary("claim", "--all", ...flags(), ...extra);
    const result = await claimAll();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const [index, modelId] of [first, second].entries()) {
      expect(result.stdout).toMatch(
        new RegExp(`^ {2}${modelId} +${job.jobId} +claimed +${shares[index]} base units +0x[0-9a-f]{64}$`, "m"),
      );
    }
    const payout = job.plan.leaves.find((leaf) => leaf.trainer === owner.address.toLowerCase())?.amount as bigint;
    expect((await world.chain.tokenBalance(owner.address)) - before).toBe(
      payout + (shares[0] as bigint) + (shares[1] as bigint),
    );

    const again = await claimAll("--json");
    expect(again.code).toBe(0);
    const line = jsonLine(again.stdout) as { revenue: { modelId: string; outcome: string }[]; revenueClaimed: string };
    expect(line.revenue).toEqual([
      expect.objectContaining({ modelId: String(first), outcome: "nothing-to-claim" }),
      expect.objectContaining({ modelId: String(second), outcome: "nothing-to-claim" }),
    ]);
    expect(line.revenueClaimed).toBe("0");
  });
});
