import {
  coordinatorBlobFetcher,
  fetchValidationSet,
  sha256OfCid,
  TrainingJobsReader,
  verifyLedger,
} from "@tributary/auditor";
import { connectModelRegistry, connectStaking, connectTributaryToken } from "@tributary/contracts/typed";
import {
  bytesToWeights,
  epsilonByDataset,
  type JobId,
  jobSpecHash,
  layoutFromSpec,
  layoutLength,
  type ModelMetadata,
  modelMetadataCid,
  modelTask,
} from "@tributary/protocol";
import { formatEther, hexlify, type Provider, type Signer } from "ethers";
import type { CoordinatorApi } from "../api/coordinator-api.js";
import type { Step } from "./create-job-flow.js";
import { evaluateFixedPoint } from "./fixed-point-evaluation.js";

export interface RegistryContracts {
  readonly chainId: number;
  readonly trainingJobs: string;
  readonly modelRegistry: string;
  readonly staking: string;
  /** The token licences and requests are paid in (TributaryToken). */
  readonly paymentToken: string;
}

/** The offer the model is listed with; amounts in base units. */
export interface ModelOffer {
  readonly stake: bigint;
  readonly licencePrice: bigint;
  readonly pricePerRequest: bigint;
  readonly endpoint: string;
}

export interface RegisteredModel {
  readonly modelId: string;
  readonly modelURI: string;
  readonly metadata: ModelMetadata;
  readonly tx: string;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource)));
}

/**
 * The job's final model, checked as `tributary model register` checks it: its bytes hash to the CID it was served
 * as and to the `modelHash` TrainingJobs anchored for the last round, and its spec hashes to the job's
 * `modelSpecHash`, so neither the weights nor the architecture are the coordinator's word alone.
 */
async function checkedFinalModel(api: CoordinatorApi, reader: TrainingJobsReader, jobId: string) {
  const job = await api.job(jobId);
  if (job.status !== "completed") throw new Error(`job ${jobId} is ${job.status}: its model exists once it completes`);
  const onChain = await reader.job(BigInt(jobId));
  if (onChain === undefined) throw new Error(`TrainingJobs ${reader.address} knows no job ${jobId}`);
  if (jobSpecHash(job.spec) !== onChain.modelSpecHash) {
    throw new Error(`the coordinator's JobSpec of job ${jobId} does not hash to its modelSpecHash on chain`);
  }
  const bytes = await coordinatorBlobFetcher(api.baseUrl, jobId, api.token)(job.modelCid);
  if (bytes === undefined) throw new Error(`the coordinator did not serve job ${jobId}'s final model ${job.modelCid}`);
  const hash = await sha256(bytes);
  const anchored = (await reader.round(BigInt(jobId), onChain.rounds)).modelHash;
  if (sha256OfCid(job.modelCid) !== hash || anchored !== hash) {
    throw new Error(
      `the final model served for job ${jobId} hashes to ${hash}; its CID and the last anchor (${anchored}) say otherwise`,
    );
  }
  const weights = bytesToWeights(bytes);
  if (weights.length !== layoutLength(layoutFromSpec(job.spec.model))) {
    throw new Error(`job ${jobId}'s final model has ${weights.length} weights, not what its spec lays out`);
  }
  return { spec: job.spec, modelCid: job.modelCid, sha256: hash, weights, onChain };
}

/**
 * What registering would lock and is not free yet: refused before anything is done when the account cannot stake it;
 * `stake()` then stakes it (approving exactly that first).
 */
async function planStake(signer: Signer, staking: string, stake: bigint) {
  const who = await signer.getAddress();
  const contract = connectStaking(staking, signer);
  const [active, locked] = await Promise.all([contract.stakeOf(who), contract.lockedOf(who)]);
  const missing = stake - (active - locked);
  const token = connectTributaryToken(await contract.stakingToken(), signer);
  const balance = await token.balanceOf(who);
  if (missing > balance) {
    throw new Error(
      `the model locks ${formatEther(stake)} TRIB of stake; ${formatEther(active - locked)} of yours is free and you hold ${formatEther(balance)} TRIB more, ${formatEther(missing - balance)} short: nothing was sent`,
    );
  }
  return async (step: Step) => {
    if (missing <= 0n) return;
    step(`Staking ${formatEther(missing)} TRIB more (the model locks ${formatEther(stake)}): approve, then stake…`);
    if ((await token.allowance(who, staking)) < missing) await (await token.approve(staking, missing)).wait();
    await (await contract.stake(missing)).wait();
  };
}

/**
 * Registers a finalised job's final model on ModelRegistry from the page, as `tributary model register` does:
 * refuses a job not finalised or a caller who is not its researcher (nor a provider it approved) and a stake below
 * the minimum; checks the weights against the chain; audits the ledger against the chain for each dataset's ε;
 * evaluates the model on the job's validation set here (fixed-point, `evaluateFixedPoint`); publishes the metadata
 * at the coordinator and checks its CID; and sends `registerModel` through the wallet.
 */
export async function registerModelFromPage(input: {
  readonly api: CoordinatorApi;
  readonly signer: Signer;
  readonly provider: Provider;
  readonly contracts: RegistryContracts;
  readonly jobId: string;
  readonly offer: ModelOffer;
  readonly step: Step;
}): Promise<RegisteredModel> {
  const { api, signer, provider, contracts, jobId, offer, step } = input;
  const who = (await signer.getAddress()).toLowerCase();
  const reader = await TrainingJobsReader.at(provider, contracts.trainingJobs);
  const job = await reader.job(BigInt(jobId));
  if (job?.status !== "Finalized") {
    throw new Error(
      `job ${jobId} is ${job?.status ?? "unknown"} on TrainingJobs: its model is registered once finalised`,
    );
  }
  const models = connectModelRegistry(contracts.modelRegistry, signer);
  if (job.researcher !== who && !(await models.isProviderApproved(BigInt(jobId), who))) {
    throw new Error(`${who} is neither job ${jobId}'s researcher nor a provider it approved`);
  }
  const { minModelStake } = await models.parameters();
  if (offer.stake < minModelStake) {
    throw new Error(
      `the stake ${formatEther(offer.stake)} TRIB is below ModelRegistry's minimum per model, ${formatEther(minModelStake)} TRIB`,
    );
  }
  const stake = await planStake(signer, contracts.staking, offer.stake);
  step(`Checking job ${jobId}'s final model against the chain…`);
  const model = await checkedFinalModel(api, reader, jobId);
  step("Auditing the job's ledger against the chain for each dataset's ε…");
  const ledger = await api.ledger(jobId);
  const audit = await verifyLedger({
    ledger,
    provider,
    trainingJobs: contracts.trainingJobs,
    blobsSkippedBecause: "the model's registration reads ε from the leaves; the blobs are not needed",
  });
  if (!audit.ok) {
    throw new Error(
      `the coordinator's ledger of job ${jobId} disagrees with the chain in ${audit.disagreements.length} place(s) (first: ${audit.disagreements[0]?.message}): its ε cannot be listed`,
    );
  }
  let validation: ModelMetadata["validation"] = null;
  const { scoring } = model.spec;
  if (scoring.method !== "examples") {
    if (modelTask(model.spec.model) !== "classification") {
      throw new Error(
        "the page evaluates classifiers only: register a regression model with `tributary model register`",
      );
    }
    step(`Evaluating the model on the validation set ${scoring.validationSetCid} in this browser…`);
    const set = await fetchValidationSet(api.baseUrl, scoring.validationSetCid, jobId, api.token ?? "");
    const score = evaluateFixedPoint(model.spec.model, model.weights, set);
    validation = { validationSetCid: scoring.validationSetCid, ...score };
  }
  const metadata: ModelMetadata = {
    version: 1,
    chainId: contracts.chainId,
    trainingJobs: contracts.trainingJobs.toLowerCase() as ModelMetadata["trainingJobs"],
    jobId: jobId as JobId,
    modelHash: model.sha256 as ModelMetadata["modelHash"],
    modelCid: model.modelCid as ModelMetadata["modelCid"],
    parameters: model.weights.length,
    task: modelTask(model.spec.model),
    jobSpec: model.spec,
    validation,
    privacy: epsilonByDataset(ledger, model.spec.datasetIds),
  };
  const published = await api.publishModelMetadata(jobId, metadata);
  const metadataCid = modelMetadataCid(metadata);
  if (published.cid !== metadataCid) {
    throw new Error(
      `the coordinator stored the metadata as ${published.cid}, but its canonical bytes are ${metadataCid}`,
    );
  }
  const modelURI = `ipfs://${metadataCid}`;
  await stake(step);
  step(`Registering the model on ModelRegistry (${modelURI}) in your wallet…`);
  const sent = await models.registerModel({
    modelHash: metadata.modelHash,
    modelURI,
    endpoint: offer.endpoint,
    pricePerToken: offer.pricePerRequest,
    licensePrice: offer.licencePrice,
    paymentToken: contracts.paymentToken,
    jobId: BigInt(jobId),
    stake: offer.stake,
  });
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`the registration ${sent.hash} failed on chain`);
  const events = await models.queryFilter(
    models.filters.ModelRegistered(undefined, who, BigInt(jobId)),
    receipt.blockNumber,
    receipt.blockNumber,
  );
  const event = events.find((log) => log.transactionHash === sent.hash);
  if (event === undefined) throw new Error(`ModelRegistry emitted no ModelRegistered in ${sent.hash}`);
  return { modelId: String(event.args.modelId), modelURI, metadata, tx: sent.hash };
}
