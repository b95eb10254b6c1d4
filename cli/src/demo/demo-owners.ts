import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Coordinator } from "@tributary/coordinator";
import { type DatasetId, DatasetIdSchema } from "@tributary/protocol";
import { loadDataset } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { z } from "zod";
import { CoordinatorClient } from "../job/coordinator-client.js";
import type { DemoChain } from "./demo-chain.js";

/** What the coordinator answers about a dataset (enrolled over REST, or indexed from DatasetRegistry). */
const EnrolledSchema = z.object({ id: DatasetIdSchema });

/** A data owner of the session: its account (the trainer agent's key) and the dataset it enrolled. */
export interface DemoOwner {
  readonly wallet: Wallet;
  readonly datasetId: DatasetId;
}

/** What every owner of the session tells its trainer agent (see `DemoSessionOptions`). */
export interface OwnerPolicy {
  readonly budgetEpsilon: number;
  readonly allowNonPrivate: boolean;
  readonly microbatchSize?: number | undefined;
  readonly evaluationsPerJob: number;
}

/** An owner's IDX files: what it trains on and its held-out records. */
export interface OwnerFiles {
  readonly train: { readonly images: string; readonly labels: string };
  readonly test: { readonly images: string; readonly labels: string };
}

/**
 * Enrols owner `index`'s shard by its manifest commitment: on DatasetRegistry from the owner's own account, or
 * over REST off-chain.
 */
export async function enrolOwner(input: {
  readonly index: number;
  readonly files: OwnerFiles;
  readonly coordinator: Coordinator;
  readonly chain: DemoChain | undefined;
  readonly budgetEpsilon: number;
  readonly note: (line: string) => void;
}): Promise<DemoOwner> {
  const { index, coordinator, chain } = input;
  const { commitment, dataset } = await loadDataset({ format: "idx", parts: [input.files.train], numClasses: 10 });
  if (chain === undefined) {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    // The owner signs in (EIP-4361) and enrols its own dataset: the coordinator records it as the owner.
    const client = await CoordinatorClient.signIn(coordinator.url, wallet, coordinator.config.chainId);
    const enrolled = await client.postJson(
      "/datasets",
      {
        owner: wallet.address,
        name: `owner ${index + 1} shard`,
        commitment,
        recordCount: dataset.count,
        epsilonBudget: input.budgetEpsilon,
        deltaBudget: 1e-5,
      },
      EnrolledSchema,
      "enrolled dataset",
    );
    return { wallet, datasetId: enrolled.id };
  }
  const wallet = await chain.newOwner();
  const datasetId = await chain.enrolDataset(wallet, {
    commitment,
    metadataUri: `tributary-demo:owner-${index + 1}`,
    epsilon: input.budgetEpsilon,
    delta: 1e-5,
  });
  input.note(
    `owner ${index + 1} (${wallet.address}) enrolled dataset ${datasetId} on DatasetRegistry: ${dataset.count} records, commitment ${commitment}, ε ${input.budgetEpsilon}, δ 1e-5`,
  );
  // The trainer agent checks its commitment against the coordinator's view of the dataset, and logs in as
  // its on-chain owner: both need the coordinator to have indexed the enrolment first.
  await new CoordinatorClient(coordinator.url).waitFor(
    `/datasets/${datasetId}`,
    EnrolledSchema,
    `the coordinator to index dataset ${datasetId}${chain.local || chain.confirmations === 0 ? "" : ` (it reads blocks with ${chain.confirmations} confirmations: a node that mines only on transactions needs --confirmations 0)`}`,
    120_000,
  );
  return { wallet, datasetId };
}

/**
 * The `tributary trainer` flags of owner `index`'s agent. On a chain, each owner's agent checks every job's payment
 * token and escrow there itself: the RPC endpoint and the deployment (written to the run directory), never the
 * coordinator's word.
 */
export async function ownerTrainerArgs(input: {
  readonly index: number;
  readonly owner: DemoOwner;
  readonly files: OwnerFiles;
  readonly coordinatorUrl: string;
  readonly chain: DemoChain | undefined;
  readonly runDir: string;
  readonly options: OwnerPolicy;
}): Promise<string[]> {
  const { files, options } = input;
  return [
    "--coordinator",
    input.coordinatorUrl,
    "--dataset-id",
    input.owner.datasetId,
    "--format",
    "idx",
    "--data",
    files.train.images,
    "--labels",
    files.train.labels,
    "--eval-data",
    files.test.images,
    "--eval-labels",
    files.test.labels,
    "--state-dir",
    path.join(input.runDir, `owner-${input.index + 1}`),
    "--budget-epsilon",
    String(options.budgetEpsilon),
    ...(options.allowNonPrivate ? ["--allow-non-private"] : []),
    ...(options.microbatchSize === undefined ? [] : ["--microbatch-size", String(options.microbatchSize)]),
    "--update-metrics",
    "loss,accuracy,evalLoss,evalAccuracy",
    "--evaluations",
    String(options.evaluationsPerJob),
    ...(await chainArgs(input.chain, input.runDir)),
  ];
}

async function chainArgs(chain: DemoChain | undefined, runDir: string): Promise<string[]> {
  if (chain === undefined) return [];
  const file = path.join(runDir, "deployment.json");
  await writeFile(file, JSON.stringify(chain.deployment));
  return ["--rpc", chain.rpcUrl, "--deployment", file];
}
