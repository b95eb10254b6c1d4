import { sha256OfCid } from "@tributary/auditor";
import { connectDatasetRegistry, connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import { type JobSpec, jobSpecHash, type PreparedJobSpec } from "@tributary/protocol";
import { formatEther, hexlify, type Signer } from "ethers";
import { type CoordinatorApi, CoordinatorError } from "../api/coordinator-api.js";

/** The deployment a job is created on (the portal's configuration, from the coordinator that serves it). */
export interface ResearcherContracts {
  readonly trainingJobs: string;
  readonly datasetRegistry: string;
  /** The payment token the reward is escrowed in (TributaryToken). */
  readonly token: string;
}

export interface CreatedJob {
  readonly jobId: string;
  readonly spec: JobSpec;
  readonly createTx: string;
  readonly approvalTx: string | undefined;
}

/** A step the page shows while the job is created (`upload`, `approve`, `create`, `adopt`). */
export type Step = (text: string) => void;

/** A refusal before anything was sent, in words the page shows as they are. */
class Refused extends Error {}

async function sha256(bytes: Uint8Array): Promise<string> {
  return hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource)));
}

/**
 * Every chosen dataset must be active on DatasetRegistry and the reward must cover Σ pricePerRound × rounds, read
 * from the chain now (not from the list the form showed), or the coordinator would not run the job.
 */
async function checkDatasets(signer: Signer, contracts: ResearcherContracts, spec: JobSpec, reward: bigint) {
  const registry = connectDatasetRegistry(contracts.datasetRegistry, signer);
  let owed = 0n;
  for (const id of spec.datasetIds) {
    const dataset = await registry.getDataset(BigInt(id)).catch(() => undefined);
    if (dataset === undefined || !dataset.active) {
      throw new Refused(`dataset ${id} is not an active dataset on DatasetRegistry: nothing was sent`);
    }
    owed += dataset.pricePerRound * BigInt(spec.rounds);
  }
  if (reward < owed) {
    throw new Refused(
      `the reward ${formatEther(reward)} TRIB does not cover what the datasets ask: Σ pricePerRound × ${spec.rounds} rounds = ${formatEther(owed)} TRIB; nothing was sent`,
    );
  }
}

/**
 * Uploads a labelled set (the held-out validation set, or FLTrust's root dataset: both go to `POST /validation-sets`)
 * and checks the coordinator stored exactly these bytes; returns its CID.
 */
async function uploadLabelledSet(
  api: CoordinatorApi,
  bytes: Uint8Array,
  step: Step,
  what: "validation set" | "root dataset",
): Promise<string> {
  const local = await sha256(bytes);
  const stored = await api.uploadValidationSet(bytes);
  if (stored.sha256 !== local || sha256OfCid(stored.cid) !== local) {
    throw new Error(
      `the coordinator stored the ${what} as ${stored.cid} (SHA-256 ${stored.sha256}), but its bytes hash to ${local}`,
    );
  }
  step(`Uploaded the ${what}: ${stored.examples} examples of ${stored.featureShape.join("×")} (${stored.cid}).`);
  return stored.cid;
}

/** `GET /jobs/:id` until the coordinator has adopted the job (404 until then). */
async function waitForAdoption(api: CoordinatorApi, jobId: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await api.job(jobId);
      return;
    } catch (error) {
      if (!(error instanceof CoordinatorError && error.status === 404)) throw error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `job ${jobId} is on TrainingJobs with its escrow, but the coordinator has not adopted it after ${timeoutMs / 1000} s; while it has not accepted the job, cancelling it refunds the escrow`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The researcher's side of a job, as `tributary job create` does it: the coordinator must follow this deployment;
 * the datasets must be active and the reward cover their prices; the validation set and the JobSpec are uploaded
 * (the coordinator's answers checked against the hashes computed here); the wallet approves exactly the reward when
 * the allowance is short, then `createJob` escrows it on TrainingJobs; and the page waits for the adoption.
 */
export async function createJobFromPage(input: {
  readonly api: CoordinatorApi;
  readonly signer: Signer;
  readonly contracts: ResearcherContracts;
  readonly prepared: PreparedJobSpec;
  readonly reward: bigint;
  readonly step: Step;
  readonly adoptionTimeoutMs?: number;
}): Promise<CreatedJob> {
  const { api, signer, contracts, prepared, reward, step } = input;
  const health = await api.health();
  if (health.chain === undefined || health.chain.trainingJobs !== contracts.trainingJobs.toLowerCase()) {
    throw new Refused(
      `the coordinator follows ${health.chain === undefined ? "no chain" : `TrainingJobs ${health.chain.trainingJobs}`}, not ${contracts.trainingJobs}: it would never run this job`,
    );
  }
  const coordinator = health.chain.coordinator;
  await checkDatasets(signer, contracts, prepared.spec, reward);
  let spec = prepared.spec;
  if (prepared.validationSet !== undefined && spec.scoring.method !== "examples") {
    const validationSetCid = await uploadLabelledSet(api, prepared.validationSet.bytes, step, "validation set");
    spec = { ...spec, scoring: { ...spec.scoring, validationSetCid } };
  }
  if (prepared.rootDataset !== undefined && spec.strategy.name === "fltrust") {
    const rootDatasetCid = await uploadLabelledSet(api, prepared.rootDataset.bytes, step, "root dataset");
    spec = { ...spec, strategy: { ...spec.strategy, rootDatasetCid } };
  }
  const expectedHash = jobSpecHash(spec);
  const uploaded = await api.uploadJobSpec(spec);
  if (uploaded.modelSpecHash !== expectedHash) {
    throw new Error(
      `the coordinator answered modelSpecHash ${uploaded.modelSpecHash} for the JobSpec, which hashes to ${expectedHash}`,
    );
  }
  step(`Uploaded the JobSpec "${spec.name}" (${prepared.parameters} parameters): modelSpecHash ${expectedHash}.`);

  const researcher = await signer.getAddress();
  const token = connectTributaryToken(contracts.token, signer);
  const [balance, allowance] = await Promise.all([
    token.balanceOf(researcher),
    token.allowance(researcher, contracts.trainingJobs),
  ]);
  if (balance < reward) {
    throw new Refused(
      `the reward is ${formatEther(reward)} TRIB but ${researcher} holds ${formatEther(balance)} TRIB: nothing was sent`,
    );
  }
  let approvalTx: string | undefined;
  if (allowance < reward) {
    step(`Approving exactly ${formatEther(reward)} TRIB for TrainingJobs in your wallet…`);
    const approval = await token.approve(contracts.trainingJobs, reward);
    await approval.wait();
    approvalTx = approval.hash;
  }
  step(`Creating the job on TrainingJobs, escrowing ${formatEther(reward)} TRIB, in your wallet…`);
  const jobs = connectTrainingJobs(contracts.trainingJobs, signer);
  const sent = await jobs.createJob({
    modelSpecHash: expectedHash,
    datasetIds: spec.datasetIds.map(BigInt),
    rounds: spec.rounds,
    reward,
    paymentToken: contracts.token,
    coordinator,
  });
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`the transaction ${sent.hash} failed on chain`);
  const events = await jobs.queryFilter(jobs.filters.JobCreated(), receipt.blockNumber, receipt.blockNumber);
  const created = events.find((event) => event.transactionHash === sent.hash);
  if (created === undefined) throw new Error(`transaction ${sent.hash} emitted no JobCreated`);
  const jobId = String(created.args.jobId);
  step(`Job ${jobId} created in transaction ${sent.hash}; waiting for the coordinator to adopt it…`);
  await waitForAdoption(api, jobId, input.adoptionTimeoutMs ?? 120_000);
  return { jobId, spec, createTx: sent.hash, approvalTx };
}
