import { sha256OfCid, TrainingJobsReader } from "@tributary/auditor";
import type { ModelRegistry, ModelRegistryTypes } from "@tributary/contracts/typed";
import {
  type Address,
  jobSpecHash,
  type ModelMetadata,
  ModelMetadataSchema,
  metadataCidOfUri,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import type { Provider } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { RefusedError } from "../chain/run-command.js";
import { type TokenInfo, tokenInfo } from "../chain/spend.js";
import { CoordinatorClient } from "../job/coordinator-client.js";

/** ModelRegistry as the buyer's commands read it, with the TrainingJobs its models' jobs live on. */
export interface ModelsOnChain {
  readonly provider: Provider;
  readonly chainId: bigint;
  readonly models: ModelRegistry;
  readonly trainingJobs: string;
}

/** The deployment's ModelRegistry and TrainingJobs, as the buyer's commands read them, on `chain`. */
export async function modelsOnChain(chain: ChainSession): Promise<ModelsOnChain> {
  return {
    provider: chain.provider,
    chainId: chain.chainId,
    models: await chain.contract("ModelRegistry"),
    trainingJobs: await chain.address("TrainingJobs"),
  };
}

/** A registered model as ModelRegistry holds it now, with its metadata when it can be had and checked. */
export interface ListedModel {
  readonly modelId: string;
  readonly provider: Address;
  readonly active: boolean;
  readonly token: TokenInfo;
  /** "0" when the model references no job. */
  readonly jobId: string;
  readonly modelHash: string;
  readonly pricePerToken: bigint;
  readonly licencePrice: bigint;
  readonly stake: bigint;
  readonly reputation: bigint;
  readonly modelURI: string;
  readonly endpoint: string;
  /** The document its `modelURI` names, checked against the chain; null, with the reason, when it is not. */
  readonly metadata: ModelMetadata | null;
  readonly metadataProblem: string | null;
}

/** Whether the metadata agrees with the model on ModelRegistry and its job on TrainingJobs; the problem if not. */
async function metadataProblem(
  chain: ModelsOnChain,
  model: { jobId: bigint; modelHash: string },
  metadata: ModelMetadata,
): Promise<string | null> {
  if (metadata.chainId !== Number(chain.chainId)) return `it describes a model on chain ${metadata.chainId}`;
  if (metadata.trainingJobs !== chain.trainingJobs.toLowerCase()) {
    return `it describes a job of TrainingJobs ${metadata.trainingJobs}, not of the deployment's ${chain.trainingJobs.toLowerCase()}`;
  }
  if (metadata.jobId !== String(model.jobId))
    return `it describes job ${metadata.jobId}, the model references ${model.jobId}`;
  if (metadata.modelHash !== model.modelHash.toLowerCase()) {
    return `its modelHash ${metadata.modelHash} is not the one registered, ${model.modelHash.toLowerCase()}`;
  }
  const reader = await TrainingJobsReader.at(chain.provider, chain.trainingJobs);
  const job = await reader.job(model.jobId);
  if (job === undefined) return `TrainingJobs knows no job ${model.jobId}`;
  if (jobSpecHash(metadata.jobSpec) !== job.modelSpecHash) {
    return `its JobSpec does not hash to job ${model.jobId}'s modelSpecHash ${job.modelSpecHash}`;
  }
  const anchor = await reader.round(model.jobId, job.rounds);
  if (anchor.modelHash !== metadata.modelHash) {
    return `the registered weights are not job ${model.jobId}'s final model (anchored ${anchor.modelHash})`;
  }
  return null;
}

/**
 * The metadata a model's `modelURI` (`ipfs://<CID>`) names, read from the coordinator's `/model-metadata/:cid`
 * and checked: its bytes hash to the CID, it parses, and it agrees with ModelRegistry (job, hash) and TrainingJobs
 * (the spec's hash, the last round's anchored model). Whoever served it, nothing unchecked is shown.
 */
export async function readModelMetadata(
  chain: ModelsOnChain,
  coordinatorUrl: string,
  model: { jobId: bigint; modelHash: string; modelURI: string },
): Promise<{ metadata: ModelMetadata | null; problem: string | null }> {
  if (model.jobId === 0n) return { metadata: null, problem: "the model references no training job" };
  const cid = metadataCidOfUri(model.modelURI);
  if (cid === undefined) return { metadata: null, problem: `its modelURI ${model.modelURI} is not ipfs://<CID>` };
  let bytes: Uint8Array;
  try {
    const blob = await new CoordinatorClient(coordinatorUrl).download(`/model-metadata/${cid}`);
    if (blob.sha256 !== sha256OfCid(cid)) {
      return { metadata: null, problem: `the coordinator served bytes with SHA-256 ${blob.sha256} for ${cid}` };
    }
    bytes = blob.bytes;
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    return { metadata: null, problem: `not available: ${error.message}` };
  }
  let metadata: ModelMetadata;
  try {
    metadata = parseInput(ModelMetadataSchema, JSON.parse(new TextDecoder().decode(bytes)), "ModelMetadata");
  } catch (error) {
    return { metadata: null, problem: `not model metadata: ${(error as Error).message}` };
  }
  const problem = await metadataProblem(chain, model, metadata);
  return problem === null ? { metadata, problem: null } : { metadata: null, problem };
}

/** Model `modelId` as ModelRegistry holds it; undefined when no model has that id (ids run from 1 to `modelCount()`). */
export async function registeredModel(
  models: ModelRegistry,
  modelId: bigint,
): Promise<ModelRegistryTypes.IModelRegistry.ModelStructOutput | undefined> {
  if (modelId < 1n || modelId > (await models.modelCount())) return undefined;
  return models.getModel(modelId);
}

/** Model `modelId` as ModelRegistry holds it, with its checked metadata; `UNKNOWN_MODEL` when there is none. */
export async function readListedModel(
  chain: ModelsOnChain,
  coordinatorUrl: string,
  modelId: bigint,
  tokens: Map<string, TokenInfo> = new Map(),
): Promise<ListedModel> {
  const model = await registeredModel(chain.models, modelId);
  if (model === undefined) {
    throw new RefusedError(
      "UNKNOWN_MODEL",
      `ModelRegistry ${await chain.models.getAddress()} knows no model ${modelId}`,
      {
        modelId: String(modelId),
      },
    );
  }
  const token = tokens.get(model.paymentToken) ?? (await tokenInfo(model.paymentToken, chain.provider));
  tokens.set(model.paymentToken, token);
  const { metadata, problem } = await readModelMetadata(chain, coordinatorUrl, model);
  return {
    modelId: String(modelId),
    provider: model.provider.toLowerCase() as Address,
    active: model.active,
    token,
    jobId: String(model.jobId),
    modelHash: model.modelHash.toLowerCase(),
    pricePerToken: model.pricePerToken,
    licencePrice: model.licensePrice,
    stake: model.stake,
    reputation: model.reputationScore,
    modelURI: model.modelURI,
    endpoint: model.endpoint,
    metadata,
    metadataProblem: problem,
  };
}

/** Every model registered on ModelRegistry, oldest first (ids run from 1 to `modelCount()`). */
export async function listModels(chain: ModelsOnChain, coordinatorUrl: string): Promise<ListedModel[]> {
  const count = await chain.models.modelCount();
  const tokens = new Map<string, TokenInfo>();
  const listed: ListedModel[] = [];
  for (let id = 1n; id <= count; id++) listed.push(await readListedModel(chain, coordinatorUrl, id, tokens));
  return listed;
}
