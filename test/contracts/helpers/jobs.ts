import {
  type Address,
  type Bytes32,
  buildPayoutTree,
  buildRoundTree,
  type PayoutLeaf,
  type RoundLeaf,
} from "@tributary/protocol";
import type { ITrainingJobs } from "../../../contracts/types/jobs/TrainingJobs.js";
import { BPS, DAY, ethers, loadSystem, type System, units } from "./system.js";

export const SPEC_HASH = ethers.id("job spec: mlp 784-200-10, fedavg, dp eps=3");
export const DATASET_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

export function randomAddress(): Address {
  return ethers.getAddress(ethers.hexlify(ethers.randomBytes(20))) as Address;
}

/** `count` round leaves with random trainers and hashes. */
export function roundLeaves(count: number): RoundLeaf[] {
  return Array.from({ length: count }, (_, i) => ({
    trainer: randomAddress(),
    updateHash: ethers.hexlify(ethers.randomBytes(32)) as Bytes32,
    numExamples: BigInt(100 + i),
    score: 10n ** 17n * BigInt(1 + (i % 10)),
  }));
}

export function roundRoot(count: number): Bytes32 {
  return buildRoundTree(roundLeaves(count)).root;
}

export function payoutTree(leaves: readonly PayoutLeaf[]) {
  return buildPayoutTree(leaves);
}

/** Enrols two datasets owned by alice and bob. */
export async function enrolDatasets(system: System): Promise<[bigint, bigint]> {
  const { datasets, alice, bob } = system;
  await datasets.connect(alice).registerDataset(ethers.id("a"), DATASET_CID, 10n, units(3), 10n ** 13n);
  await datasets.connect(bob).registerDataset(ethers.id("b"), DATASET_CID, 10n, units(3), 10n ** 13n);
  return [1n, 2n];
}

export function jobParams(
  system: System,
  overrides: Partial<ITrainingJobs.JobParamsStruct> = {},
): ITrainingJobs.JobParamsStruct {
  return {
    modelSpecHash: SPEC_HASH,
    datasetIds: [1n, 2n],
    rounds: 3,
    reward: units(1_000),
    paymentToken: system.usdc.target,
    coordinator: system.coordinator.address,
    ...overrides,
  };
}

/** Creates a job from the researcher (approving the reward first) and returns its id. */
export async function createJob(system: System, overrides: Partial<ITrainingJobs.JobParamsStruct> = {}) {
  const params = jobParams(system, overrides);
  const token = await ethers.getContractAt("MockERC20", String(params.paymentToken));
  await token.connect(system.researcher).approve(system.jobs, params.reward);
  await system.jobs.connect(system.researcher).createJob(params);
  return system.jobs.jobCount();
}

/** Anchors rounds 1..`rounds` with fresh roots. */
export async function anchorRounds(system: System, jobId: bigint, rounds: number): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    await system.jobs
      .connect(system.coordinator)
      .anchorRound(jobId, round, ethers.id(`updates ${jobId}/${round}`), ethers.id(`model ${jobId}/${round}`));
  }
}

export const FEE_BPS = 250n;
export const CLAIM_PERIOD = 30n * DAY;
export const STALE = 14n * DAY;
export const JobStatus = { None: 0n, Open: 1n, Running: 2n, Finalized: 3n, Cancelled: 4n };

export async function withDatasets() {
  const system = await loadSystem();
  await enrolDatasets(system);
  return system;
}

/** A job with all three rounds anchored, a payout tree over three trainers, not yet finalised. */
export async function anchoredJob() {
  const system = await withDatasets();
  const jobId = await createJob(system);
  await anchorRounds(system, jobId, 3);
  const leaves = [
    { trainer: randomAddress(), amount: units(300) },
    { trainer: randomAddress(), amount: units(200) },
    { trainer: randomAddress(), amount: units(100) },
  ];
  const tree = payoutTree(leaves);
  const total = units(600);
  return { ...system, jobId, leaves, tree, total, fee: (total * FEE_BPS) / BPS };
}

export async function finalizedJob() {
  const fixture = await anchoredJob();
  await fixture.jobs.connect(fixture.coordinator).finalizeJob(fixture.jobId, fixture.tree.root, fixture.total);
  return fixture;
}
