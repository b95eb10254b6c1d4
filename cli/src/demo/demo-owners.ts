import path from "node:path";
import type { Coordinator } from "@tributary/coordinator";
import { type DatasetId, DatasetIdSchema, parseInput } from "@tributary/protocol";
import { Wallet } from "ethers";
import { z } from "zod";
import { Output } from "../chain/output.js";
import type { ResolvedDatasetDir } from "../dataset/dataset-dir.js";
import { enrolDataset, prepareEnrolment, trainerCommand } from "../dataset/dataset-enrolment.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { type DemoChain, DemoChainError } from "./demo-chain.js";

/** What the coordinator answers about a dataset enrolled over REST. */
const EnrolledSchema = z.object({ id: DatasetIdSchema });

/** How the demo's owners read their directories: `tributary dataset enrol`'s defaults (the format found by name). */
const READ_AS = { labelColumn: "label", numClasses: 10 } as const;
/** δ of every owner's budget. */
const DELTA = 1e-5;
/** How long an owner waits for the coordinator to index its enrolment before its trainer could sign in. */
const INDEXING_TIMEOUT_MS = 120_000;

/** A data owner of the session: its account (the trainer agent's key), its data and the dataset it enrolled. */
export interface DemoOwner {
  readonly wallet: Wallet;
  readonly datasetId: DatasetId;
  /** Its directory resolved to the files its trainer reads, as `dataset enrol` resolved it. */
  readonly dir: ResolvedDatasetDir;
}

/** What every owner of the session states and tells its trainer agent (see `DemoSessionOptions`). */
export interface OwnerPolicy {
  readonly budgetEpsilon: number;
  /** TRIB wei asked per round (on a chain). */
  readonly pricePerRound: bigint;
  readonly allowNonPrivate: boolean;
  readonly microbatchSize?: number | undefined;
  readonly evaluationsPerJob: number;
}

/**
 * Owner `index` enrols the data in its directory as a data owner does. On a chain, from a fresh account of its own
 * and through `tributary dataset enrol`'s core (`enrolDataset`: the manifest and commitment computed by the
 * trainer's loader from the owner's files, registered on DatasetRegistry with its price and ε/δ budget, then waiting
 * until the coordinator has indexed it, since its trainer signs in as the dataset's on-chain owner). Off-chain, it
 * signs in (EIP-4361) and enrols the same manifest's commitment over REST.
 */
export async function enrolOwner(input: {
  readonly index: number;
  readonly dir: string;
  readonly coordinator: Coordinator;
  readonly chain: DemoChain | undefined;
  readonly policy: OwnerPolicy;
  readonly note: (line: string) => void;
}): Promise<DemoOwner> {
  const { index, coordinator, chain, policy } = input;
  const name = `owner ${index + 1}`;
  if (chain === undefined) {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const prepared = await prepareEnrolment(input.dir, READ_AS);
    const client = await CoordinatorClient.signIn(coordinator.url, wallet, coordinator.config.chainId);
    const enrolled = await client.postJson(
      "/datasets",
      {
        owner: wallet.address,
        name: `${name} shard`,
        commitment: prepared.commitment,
        recordCount: prepared.manifest.recordCount,
        epsilonBudget: policy.budgetEpsilon,
        deltaBudget: DELTA,
      },
      EnrolledSchema,
      "enrolled dataset",
    );
    return { wallet, datasetId: enrolled.id, dir: prepared.dir };
  }
  const wallet = await chain.newOwner();
  // The owner's command lines, as `tributary dataset enrol` prints them, marked with whose they are.
  const out = new Output(false, (text) => input.note(`${name}: ${text.replace(/\n$/, "")}`), false);
  const enrolled = await enrolDataset(out, chain.ownerChain(wallet), {
    dir: input.dir,
    read: READ_AS,
    pricePerRound: policy.pricePerRound,
    token: await chain.paymentToken(),
    epsilon: policy.budgetEpsilon,
    delta: DELTA,
    coordinator: { url: coordinator.url, timeoutMs: INDEXING_TIMEOUT_MS },
  });
  if (enrolled.indexed !== true) {
    throw new DemoChainError(
      `the coordinator did not index dataset ${enrolled.datasetId} within ${INDEXING_TIMEOUT_MS / 1000}s${chain.local || chain.confirmations === 0 ? "" : ` (it reads blocks with ${chain.confirmations} confirmations: a node that mines only on transactions needs --confirmations 0)`}`,
      { datasetId: enrolled.datasetId },
    );
  }
  input.note(`${name} (${wallet.address}) enrolled dataset ${enrolled.datasetId} on DatasetRegistry`);
  const datasetId = parseInput(DatasetIdSchema, enrolled.datasetId, "DatasetRegistered.datasetId");
  return { wallet, datasetId, dir: enrolled.prepared.dir };
}

/**
 * The `tributary trainer` flags of owner `index`'s agent. On a chain they are the command `dataset enrol` prints
 * (`trainerCommand`: the owner's files, and the RPC endpoint and deployment where the agent reads the budget the
 * dataset enrolled and checks each job's payment token and escrow itself, never on the coordinator's word);
 * off-chain, the same files and the budget as a flag. Then the demo's own: state directory, disclosure and
 * evaluations.
 */
export function ownerTrainerArgs(input: {
  readonly index: number;
  readonly owner: DemoOwner;
  readonly coordinatorUrl: string;
  /** On a chain: its RPC endpoint and the deployment file the owners' agents read. */
  readonly chain: { readonly rpcUrl: string; readonly deploymentFile: string } | undefined;
  readonly runDir: string;
  readonly policy: OwnerPolicy;
}): string[] {
  const { owner, policy, chain } = input;
  const serve =
    chain === undefined
      ? [
          "--coordinator",
          input.coordinatorUrl,
          "--dataset-id",
          owner.datasetId,
          ...owner.dir.trainerArgs,
          "--budget-epsilon",
          String(policy.budgetEpsilon),
        ]
      : trainerCommand({
          datasetId: owner.datasetId,
          dir: owner.dir,
          coordinator: input.coordinatorUrl,
          rpc: chain.rpcUrl,
          deployment: chain.deploymentFile,
        }).slice(2);
  return [
    ...serve,
    "--state-dir",
    path.join(input.runDir, `owner-${input.index + 1}`),
    ...(policy.allowNonPrivate ? ["--allow-non-private"] : []),
    ...(policy.microbatchSize === undefined ? [] : ["--microbatch-size", String(policy.microbatchSize)]),
    "--update-metrics",
    "loss,accuracy,evalLoss,evalAccuracy",
    "--evaluations",
    String(policy.evaluationsPerJob),
  ];
}
