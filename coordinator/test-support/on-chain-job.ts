import type { LocalChain } from "@tributary/contracts/local-chain";
import type { DatasetId, JobId, JobSpecInput, StrategySpec, TrainInstruction } from "@tributary/protocol";
import { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { expect } from "vitest";
import { ChainIntentEntity } from "../src/chain/chain-intent.entity.js";
import type { CoordinatorConfigInput } from "../src/config/coordinator-config.js";
import { type Coordinator, type CreateCoordinatorOptions, createCoordinator } from "../src/create-coordinator.js";
import type { TestDatabase } from "./databases.js";
import { ok, request, signInAs, until } from "./rest.js";
import { ScriptedTrainer } from "./scripted-trainer.js";
import { testManifest } from "./test-manifest.js";

/** Examples each of the three scripted data owners trains on. */
export const EXAMPLES = [100, 300, 600] as const;
export const REWARD = 1_000n * 10n ** 18n;
const PARAMS = 10;

export function delta(seed: number): Float32Array {
  return Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(seed * 7 + i) / 10);
}

/** Owner `index`'s dataset manifest: EXAMPLES[index] records; its commitment is what the owner registers. */
export function ownerManifest(owner: Wallet, index: number) {
  return testManifest(EXAMPLES[index] as number, `on chain ${owner.address}`);
}

/** A coordinator following `chain`'s TrainingJobs and sending from `sender` (`overrides.chain` adds to its chain config). */
export async function startChainCoordinator(
  chain: LocalChain,
  db: TestDatabase,
  sender: Wallet,
  options: CreateCoordinatorOptions = {},
  overrides: Partial<CoordinatorConfigInput> = {},
): Promise<Coordinator> {
  const deployment = chain.system.deployment;
  return createCoordinator(
    {
      ...overrides,
      port: 0,
      dataDir: db.dataDir,
      ...db.config,
      chainId: chain.chainId,
      // The scripted trainers attest with the TEE simulator, unless a test asks for production.
      mode: overrides.mode ?? "development",
      verifyingContract: deployment.contracts.TrainingJobs,
      chain: {
        rpcUrl: chain.url,
        trainingJobs: deployment.contracts.TrainingJobs,
        datasetRegistry: deployment.contracts.DatasetRegistry,
        modelRegistry: deployment.contracts.ModelRegistry,
        attestationRegistry: deployment.contracts.AttestationRegistry,
        startBlock: deployment.startBlock,
        confirmations: 0,
        senderPrivateKey: sender.privateKey,
        pollIntervalMs: 50,
        maxBackoffMs: 200,
        ...overrides.chain,
      },
    },
    { ...(process.env.TEST_LOGS ? {} : { logger: false }), ...options },
  );
}

/**
 * Three data owners, each enrolling its own dataset on DatasetRegistry, and a job created on chain for them (by the
 * chain's deployer, its researcher). `spec` adds to the JobSpec, e.g. its scoring and auditors.
 */
export async function createOnChainJob(
  chain: LocalChain,
  coordinator: Coordinator,
  sender: Wallet,
  rounds: number,
  strategy: StrategySpec = { name: "fedavg" },
  spec: Pick<JobSpecInput, "scoring" | "auditors" | "attestation"> = {},
) {
  const owners = await Promise.all(EXAMPLES.map(() => chain.fundedWallet()));
  const manifests = owners.map((owner, index) => ownerManifest(owner, index));
  const datasets: DatasetId[] = [];
  for (const [index, owner] of owners.entries()) {
    const { commitment } = manifests[index] as { commitment: string };
    datasets.push(
      String(
        await chain.registerDataset(owner.connect(chain.provider()), "ipfs://dataset", { commitment }),
      ) as DatasetId,
    );
  }
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
    coordinator.url,
    "POST",
    "/chain/job-specs",
    {
      name: "on chain",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      datasetIds: datasets,
      rounds,
      learningRate: 0.1,
      clients: { min: 3, max: 3 },
      strategy,
      roundTimeoutS: 120,
      ...spec,
    },
    await signInAs(coordinator.url, Wallet.createRandom(), coordinator.config.chainId),
  );
  const jobId = String(
    await chain.createJob({
      coordinator: sender.address,
      rounds,
      modelSpecHash,
      datasetIds: datasets.map(BigInt),
      reward: REWARD,
    }),
  ) as JobId;
  return { owners, datasets, jobId };
}

/** Waits for the coordinator to adopt the job, then connects and admits one scripted trainer per owner. */
export async function connectTrainers(
  coordinator: Coordinator,
  owners: Wallet[],
  datasets: DatasetId[],
  jobId: JobId,
): Promise<ScriptedTrainer[]> {
  // Adopting the job needs its datasets indexed, so the owners' logins find them too.
  await until("the on-chain job to be adopted", async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
  const trainers = await Promise.all(
    owners.map((owner, index) =>
      ScriptedTrainer.connect(coordinator.url, owner, datasets[index] as DatasetId, {
        chainId: coordinator.config.chainId,
        verifyingContract: coordinator.config.chain?.trainingJobs,
        manifest: ownerManifest(owner, index).manifest,
      }),
    ),
  );
  for (const trainer of trainers) expect((await trainer.join(jobId)).ok).toBe(true);
  return trainers;
}

/** Every trainer answers the round it is sent, trainer i with EXAMPLES[i] examples and `deltas[i]` (default delta(seed + i)). */
export async function trainRound(
  trainers: ScriptedTrainer[],
  seed: number,
  deltas: readonly Float32Array[] = trainers.map((_, index) => delta(seed + index)),
): Promise<void> {
  const instructions = await Promise.all(trainers.map((trainer) => trainer.next()));
  for (const [index, trainer] of trainers.entries()) {
    const ack = await trainer.submit(
      instructions[index]?.instruction as TrainInstruction,
      deltas[index] as Float32Array,
      EXAMPLES[index] as number,
    );
    expect(ack.ok).toBe(true);
  }
}

/** Answers the final evaluation; skips resent instructions of rounds up to `lastRound` (duplicates after a restart). */
export async function evaluate(trainers: ScriptedTrainer[], lastRound: number): Promise<void> {
  for (const trainer of trainers) {
    let evaluation = await trainer.next();
    while (evaluation.kind === "train" && evaluation.instruction.round <= lastRound) evaluation = await trainer.next();
    expect(evaluation.kind).toBe("evaluate");
    await trainer.evaluate(evaluation.instruction, { evalAccuracy: 0.5 }, 10);
  }
}

/** Waits until the outbox holds exactly `count` intents, all confirmed; returns them oldest first. */
export async function intentsSettled(coordinator: Coordinator, count: number): Promise<ChainIntentEntity[]> {
  const db = coordinator.app.get(DataSource);
  return until(
    `${count} chain intent(s) to be confirmed`,
    async () => {
      const rows = await db.getRepository(ChainIntentEntity).find({ order: { id: "ASC" } });
      return rows.length === count && rows.every((row) => row.status === "confirmed") ? rows : undefined;
    },
    60_000,
  );
}
