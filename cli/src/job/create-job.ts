import { createHash } from "node:crypto";
import { sha256OfCid } from "@tributary/auditor";
import { checkOceanOrder, findOceanDataset, type OceanAddresses } from "@tributary/contracts/ocean";
import type { DatasetRegistry, TrainingJobs } from "@tributary/contracts/typed";
import {
  type Address,
  CoordinatorHealthSchema,
  type JobId,
  type JobSpec,
  JobSpecUploadSchema,
  jobSpecHash,
  type PreparedJobSpec,
  TributaryError,
  ValidationSetUploadSchema,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { ensureSpend, formatToken, type SpendReport, type TokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import type { CoordinatorClient } from "./coordinator-client.js";
import { JobViewSchema } from "./coordinator-views.js";

/** What `createJob` needs of the chain: the researcher's account and the two contracts a job touches. */
export interface ResearcherChain {
  readonly chainId: bigint;
  /** The researcher, connected to the chain: signs the approval and `createJob`. */
  readonly wallet: Wallet;
  readonly trainingJobs: TrainingJobs;
  readonly datasets: DatasetRegistry;
  /**
   * Ocean Protocol's contracts on the chain (the deployment's `ocean`): a dataset published there needs the
   * researcher's valid datatoken order before the coordinator adopts the job, so it is checked before the escrow.
   */
  readonly ocean?: OceanAddresses | undefined;
}

export interface CreateJobRequest {
  readonly prepared: PreparedJobSpec;
  /** Escrowed, in `token`'s base units. */
  readonly reward: bigint;
  readonly token: TokenInfo;
  /** False (`--no-approve`): a short allowance is refused instead of approved. */
  readonly approve: boolean;
  /** The coordinator account the job names; default the one the coordinator's `/health` states. */
  readonly coordinatorAddress?: string | undefined;
  /** How long to wait for the coordinator to adopt the job (default 120 s). */
  readonly adoptionTimeoutMs?: number | undefined;
}

/** A job created, escrowed on TrainingJobs and adopted by its coordinator. */
export interface CreatedJob {
  readonly jobId: JobId;
  readonly spec: JobSpec;
  readonly modelSpecHash: string;
  readonly validationSetCid: string | null;
  readonly coordinator: Address;
  readonly reward: bigint;
  readonly spend: SpendReport;
  readonly createTx: MinedTransaction;
}

const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * The coordinator must follow this chain's TrainingJobs, else it would never see the job; returns the account it
 * says its jobs must name (the researcher may name another with `coordinatorAddress`).
 */
async function coordinatorOnChain(coordinator: CoordinatorClient, chain: ResearcherChain): Promise<Address> {
  const health = await coordinator.get("/health", CoordinatorHealthSchema, "health");
  const trainingJobs = (await chain.trainingJobs.getAddress()).toLowerCase();
  if (health.chain === undefined) {
    throw new RefusedError(
      "COORDINATOR_OFF_CHAIN",
      `the coordinator at ${coordinator.url} runs no chain, so it would never see a job created on TrainingJobs ${trainingJobs}`,
    );
  }
  if (BigInt(health.chain.chainId) !== chain.chainId || health.chain.trainingJobs !== trainingJobs) {
    throw new RefusedError(
      "COORDINATOR_MISMATCH",
      `the coordinator at ${coordinator.url} follows TrainingJobs ${health.chain.trainingJobs} on chain ${health.chain.chainId}, not ${trainingJobs} on chain ${chain.chainId}: it would never run this job`,
      { coordinatorChain: health.chain, trainingJobs, chainId: String(chain.chainId) },
    );
  }
  return health.chain.coordinator;
}

/** A dataset published on Ocean needs the researcher's valid order (`tributary ocean order ID`) before the escrow. */
async function checkOceanOrderOf(chain: ResearcherChain, datasetId: string): Promise<void> {
  const { ocean, wallet } = chain;
  if (ocean === undefined || wallet.provider === null) return;
  const provider = wallet.provider;
  const datasetRegistry = await chain.datasets.getAddress();
  const found = await findOceanDataset({ provider, ocean, datasetRegistry, datasetId });
  if (found.kind === "none") return;
  const reason =
    found.kind === "invalid"
      ? found.reason
      : await checkOceanOrder({
          provider,
          dataset: found.dataset,
          consumer: wallet.address,
          fromBlock: ocean.startBlock,
        }).then((order) => (order.valid ? undefined : order.reason));
  if (reason === undefined) return;
  throw new RefusedError(
    "OCEAN_ORDER_MISSING",
    `dataset ${datasetId} is published on Ocean Protocol: order its compute service first (tributary ocean order ${datasetId}); the coordinator would not adopt the job: ${reason}`,
    { datasetId },
  );
}

/**
 * Every dataset must be active on DatasetRegistry, and the reward must cover what they ask (Σ pricePerRound ×
 * rounds), and a dataset published on Ocean needs the researcher's order, or the coordinator would refuse to adopt
 * the job after the escrow is locked.
 */
async function checkDatasets(chain: ResearcherChain, spec: JobSpec, reward: bigint, token: TokenInfo): Promise<void> {
  let owed = 0n;
  for (const id of spec.datasetIds) {
    const active = await chain.datasets.isActive(BigInt(id)).catch(() => false);
    if (!active) {
      throw new RefusedError(
        "INACTIVE_DATASET",
        `dataset ${id} is not an active dataset on DatasetRegistry ${await chain.datasets.getAddress()}`,
        { datasetId: id },
      );
    }
    owed += (await chain.datasets.getDataset(BigInt(id))).pricePerRound * BigInt(spec.rounds);
    await checkOceanOrderOf(chain, id);
  }
  if (reward < owed) {
    throw new RefusedError(
      "REWARD_TOO_LOW",
      `the reward ${formatToken(reward, token)} does not cover what the datasets ask: Σ pricePerRound × ${spec.rounds} rounds = ${formatToken(owed, token)}; the coordinator would not run the job`,
      { reward, needed: owed },
    );
  }
}

/** Uploads a labelled set (the held-out set, or FLTrust's root dataset) and checks the coordinator stored exactly these bytes; returns its CID. */
async function uploadLabelledSet(
  out: Output,
  coordinator: CoordinatorClient,
  set: NonNullable<PreparedJobSpec["validationSet"]>,
  what: "validation set" | "root dataset",
): Promise<string> {
  const local = sha256(set.bytes);
  const stored = await coordinator.postBytes("/validation-sets", set.bytes, ValidationSetUploadSchema, "upload");
  if (stored.sha256 !== local || sha256OfCid(stored.cid) !== local) {
    throw new TributaryError(
      "COORDINATOR_MISMATCH",
      `the coordinator stored the ${what} as ${stored.cid} (SHA-256 ${stored.sha256}), but its bytes hash to ${local}`,
    );
  }
  out.say(`uploaded the ${what}: ${stored.examples} examples of ${stored.featureShape.join("×")}, ${stored.cid}`);
  return stored.cid;
}

/**
 * The researcher's side of a job: checks the coordinator follows this chain, the datasets are active and the reward
 * covers their prices; uploads the validation set and the JobSpec (checking the coordinator's `modelSpecHash`
 * against the one computed here); checks the balance and approves exactly the reward if needed (`ensureSpend`);
 * creates the job on TrainingJobs, escrowing the reward; and waits for the coordinator to adopt it. Every
 * transaction waits for its receipt; a revert is refused with the contract's decoded error.
 */
export async function createJob(
  out: Output,
  chain: ResearcherChain,
  coordinator: CoordinatorClient,
  request: CreateJobRequest,
): Promise<CreatedJob> {
  const { prepared, reward, token } = request;
  const named = (request.coordinatorAddress ?? (await coordinatorOnChain(coordinator, chain))).toLowerCase() as Address;
  await checkDatasets(chain, prepared.spec, reward, token);
  let spec = prepared.spec;
  let validationSetCid: string | null = null;
  if (prepared.validationSet !== undefined && spec.scoring.method !== "examples") {
    validationSetCid = await uploadLabelledSet(out, coordinator, prepared.validationSet, "validation set");
    spec = { ...spec, scoring: { ...spec.scoring, validationSetCid } };
  }
  if (prepared.rootDataset !== undefined && spec.strategy.name === "fltrust") {
    const rootDatasetCid = await uploadLabelledSet(out, coordinator, prepared.rootDataset, "root dataset");
    spec = { ...spec, strategy: { ...spec.strategy, rootDatasetCid } };
  }
  const expectedHash = jobSpecHash(spec);
  const uploaded = await coordinator.postJson("/chain/job-specs", spec, JobSpecUploadSchema, "JobSpec upload");
  if (uploaded.modelSpecHash !== expectedHash) {
    throw new TributaryError(
      "COORDINATOR_MISMATCH",
      `the coordinator answered modelSpecHash ${uploaded.modelSpecHash} for the JobSpec, which hashes to ${expectedHash}`,
    );
  }
  out.say(`uploaded the JobSpec "${spec.name}" (${prepared.parameters} parameters): modelSpecHash ${expectedHash}`);
  const jobsAddress = await chain.trainingJobs.getAddress();
  const spend = await ensureSpend(out, {
    purpose: "job create",
    token,
    signer: chain.wallet,
    spender: { name: "TrainingJobs", address: jobsAddress },
    amount: reward,
    approve: request.approve,
  });
  const jobs = chain.trainingJobs.connect(chain.wallet);
  const createTx = await sendAndWait(out, {
    description: `create the job on TrainingJobs, escrowing ${formatToken(reward, token)} for coordinator ${named}`,
    call: "TrainingJobs.createJob",
    send: () =>
      jobs.createJob({
        modelSpecHash: expectedHash,
        datasetIds: spec.datasetIds.map(BigInt),
        rounds: spec.rounds,
        reward,
        paymentToken: token.address,
        coordinator: named,
      }),
  });
  const events = await jobs.queryFilter(jobs.filters.JobCreated(), createTx.blockNumber, createTx.blockNumber);
  const created = events.find((event) => event.transactionHash === createTx.hash);
  if (created === undefined) throw new TributaryError("NO_EVENT", `transaction ${createTx.hash} emitted no JobCreated`);
  const jobId = String(created.args.jobId) as JobId;
  out.say(`job ${jobId} created; waiting for the coordinator to adopt it`);
  try {
    await coordinator.waitFor(
      `/jobs/${jobId}`,
      JobViewSchema,
      `the coordinator to adopt job ${jobId}`,
      request.adoptionTimeoutMs ?? 120_000,
    );
  } catch (error) {
    if (!(error instanceof TributaryError) || error.code !== "COORDINATOR_TIMEOUT") throw error;
    throw new RefusedError(
      "NOT_ADOPTED",
      `job ${jobId} is on TrainingJobs with its escrow, but the coordinator at ${coordinator.url} has not adopted it (${error.message}); while its coordinator has not accepted it, \`tributary job cancel ${jobId}\` refunds the escrow`,
      { jobId, createTx: createTx.hash },
      error,
    );
  }
  return { jobId, spec, modelSpecHash: expectedHash, validationSetCid, coordinator: named, reward, spend, createTx };
}
