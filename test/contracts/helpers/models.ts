import { anchorRounds, createJob, enrolDatasets, payoutTree } from "./jobs.js";
import { BPS, ethers, loadSystem, units } from "./system.js";

export const MIN_STAKE = units(1_000);
export const WEIGHTS = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
export const ENDPOINT = "https://inference.example/v1/mlp";
export const PRICE = units(100);

/** The provider has staked; a finalised job pays alice 600 and bob 400. */
export async function modelsFixture() {
  const system = await loadSystem();
  const { staking, token, usdc, jobs, coordinator, provider, researcher, alice, bob, buyer, models } = system;
  await token.connect(provider).approve(staking, ethers.MaxUint256);
  await staking.connect(provider).stake(units(5_000));
  await token.connect(researcher).approve(staking, ethers.MaxUint256);
  await staking.connect(researcher).stake(units(5_000));
  await usdc.connect(buyer).approve(models, ethers.MaxUint256);
  await enrolDatasets(system);
  const jobId = await createJob(system, { reward: units(2_000) });
  await anchorRounds(system, jobId, 3);
  const leaves = [
    { trainer: alice.address as `0x${string}`, amount: units(600) },
    { trainer: bob.address as `0x${string}`, amount: units(400) },
  ];
  const tree = payoutTree(leaves);
  await jobs.connect(coordinator).finalizeJob(jobId, tree.root, units(1_000));
  return { ...system, jobId, leaves, tree };
}

export type ModelsFixture = Awaited<ReturnType<typeof modelsFixture>>;

export function modelParams(f: ModelsFixture, overrides: Record<string, unknown> = {}) {
  return {
    modelHash: ethers.id("weights"),
    modelURI: WEIGHTS,
    endpoint: ENDPOINT,
    pricePerToken: 3n,
    licensePrice: PRICE,
    paymentToken: f.usdc.target,
    jobId: 0n,
    stake: MIN_STAKE,
    ...overrides,
  };
}

/** Model 1: the provider's, linked to the job (the researcher approved the provider). */
export async function linkedModel() {
  const f = await modelsFixture();
  await f.models.connect(f.researcher).setProviderApproval(f.jobId, f.provider.address, true);
  await f.models.connect(f.provider).registerModel(modelParams(f, { jobId: f.jobId }));
  return f;
}

export function split(price: bigint, linked: boolean) {
  const fee = (price * 250n) / BPS;
  const rest = price - fee;
  const researcher = linked ? (rest * 1_500n) / BPS : 0n;
  const contributors = linked ? (rest * 1_500n) / BPS : 0n;
  return { fee, researcher, contributors, provider: rest - researcher - contributors };
}
