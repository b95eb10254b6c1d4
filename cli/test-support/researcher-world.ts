import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { Coordinator } from "@tributary/coordinator";
import { bytesToWeights, type DatasetId, type JobId, type JobSpecInput } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { expect } from "vitest";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import {
  connectTrainers,
  EXAMPLES,
  evaluate,
  ownerManifest,
  startChainCoordinator,
  trainRound,
} from "../../coordinator/test-support/on-chain-job.js";
import type { ScriptedTrainer } from "../../coordinator/test-support/scripted-trainer.js";
import { predictWithSavedModel } from "../../model-runtime/test-support/file-model-loader.js";

/** What a researcher's job trains here: 4 features to 2 outputs, 10 parameters, as the scripted trainers send. */
export const TINY_SPEC: Omit<JobSpecInput, "datasetIds" | "rounds"> = {
  name: "researcher cli",
  model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
  learningRate: 0.1,
  clients: { min: 3, max: 3 },
  roundTimeoutS: 120,
};

/**
 * Opens the tfjs layers model a command wrote into `dir` (`model.json` + `weights.bin`) as any tfjs user would and
 * checks its prediction against a float64 forward pass over the flat weights written beside it (`weights.f32`):
 * TINY_SPEC's dense 4 → 2, linear, kernel [4, 2] row-major then bias [2]. Returns the flat weights.
 */
export async function expectTinyModelFiles(dir: string): Promise<Float32Array> {
  const flat = bytesToWeights(await readFile(path.join(dir, "weights.f32")));
  const x = [0.5, -2, 3, 0.25];
  const [got] = await predictWithSavedModel(path.join(dir, "model.json"), [x], [4]);
  for (let out = 0; out < 2; out++) {
    const expected = x.reduce((sum, value, i) => sum + value * (flat[i * 2 + out] as number), flat[8 + out] as number);
    expect(got?.[out]).toBeCloseTo(expected, 5);
  }
  return flat;
}

/**
 * A real marketplace for the researcher's commands: a local chain with the contracts deployed, a coordinator
 * (embedded PGlite) following it, and three data owners who enrolled their datasets on DatasetRegistry (5 TRIB per
 * round each, the local chain's default) and drive scripted trainers when asked. The deployment file is written
 * to `deploymentFile`, as a researcher would keep it.
 */
export class ResearcherWorld {
  private constructor(
    readonly chain: LocalChain,
    readonly coordinator: Coordinator,
    readonly sender: Wallet,
    readonly owners: Wallet[],
    readonly datasets: DatasetId[],
    readonly dir: string,
    readonly deploymentFile: string,
    private readonly db: TestDatabase,
  ) {}

  static async start(): Promise<ResearcherWorld> {
    const chain = await LocalChain.start();
    const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    const sender = await chain.fundedWallet();
    const coordinator = await startChainCoordinator(chain, db, sender);
    const owners = await chain.fundedWallets(EXAMPLES.length);
    const datasets: DatasetId[] = [];
    for (const [index, owner] of owners.entries()) {
      const { commitment } = ownerManifest(owner, index);
      const id = await chain.registerDataset(owner.connect(chain.provider()), "ipfs://dataset", { commitment });
      datasets.push(String(id) as DatasetId);
    }
    const dir = await mkdtemp(path.join(tmpdir(), "tributary-researcher-"));
    const deploymentFile = path.join(dir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(chain.system.deployment));
    return new ResearcherWorld(chain, coordinator, sender, owners, datasets, dir, deploymentFile, db);
  }

  get trainingJobs(): string {
    return this.chain.system.deployment.contracts.TrainingJobs;
  }

  /** A researcher's account with 100 ETH and `tokens` TRIB wei. */
  researcher(tokens: bigint): Promise<Wallet> {
    return this.chain.fundedWallet({ tokens });
  }

  /**
   * The data owners' scripted trainers join job `jobId` (once adopted) and run all its `rounds`, then its final
   * evaluation (accuracy 0.5 each); returns when every answer was acknowledged.
   */
  async train(jobId: JobId, rounds: number): Promise<void> {
    const trainers: ScriptedTrainer[] = await connectTrainers(this.coordinator, this.owners, this.datasets, jobId);
    try {
      for (let round = 0; round < rounds; round++) await trainRound(trainers, round * 10);
      await evaluate(trainers, rounds - 1);
    } finally {
      for (const trainer of trainers) trainer.close();
    }
  }

  async close(): Promise<void> {
    await this.coordinator.close();
    await this.chain.stop();
    await this.db.cleanup();
    await rm(this.dir, { recursive: true, force: true });
  }
}
