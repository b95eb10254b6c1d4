import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { Coordinator } from "@tributary/coordinator";
import type { DatasetId, JobId, JobSpecInput } from "@tributary/protocol";
import type { Wallet } from "ethers";
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

/** What a researcher's job trains here: 4 features to 2 outputs, 10 parameters, as the scripted trainers send. */
export const TINY_SPEC: Omit<JobSpecInput, "datasetIds" | "rounds"> = {
  name: "researcher cli",
  model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
  learningRate: 0.1,
  clients: { min: 3, max: 3 },
  roundTimeoutS: 120,
};

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
