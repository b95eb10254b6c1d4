import { Inject, Injectable } from "@nestjs/common";
import {
  type Address,
  type JobId,
  jobSpecHash,
  layoutFromSpec,
  layoutLength,
  MAX_MODEL_METADATA_BYTES,
  type ModelMetadata,
  ModelMetadataSchema,
  modelMetadataBytes,
  modelTask,
  parseInput,
  TributaryError,
} from "@tributary/protocol";
import { BlobStore } from "../blobs/blob-store.js";
import { ChainJobRepository } from "../chain/chain-job.repository.js";
import { ChainRoundAnchorRepository } from "../chain/chain-round-anchor.repository.js";
import { ModelRegistryReader } from "../chain/model-registry-reader.js";
import { ConflictError, NotFoundError, PayloadTooLargeError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { ModelEntity } from "../models/model.entity.js";
import { ModelRepository } from "../models/model.repository.js";
import { ModelMetadataRepository } from "./model-metadata.repository.js";

/** The metadata posted disagrees with what the chain and this coordinator hold about the job (HTTP 400). */
class MetadataMismatchError extends TributaryError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super("INVALID_INPUT", `ModelMetadata.${field}: ${message}`, { details: { field, ...details } });
  }
}

/** Weights to send: their bytes, their CID and SHA-256. */
export interface ServedWeights {
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly cid: string;
}

/**
 * ModelRegistry's listings at this coordinator: the metadata documents registrants publish (checked against the
 * chain and the job this coordinator ran, stored by CID, served to anyone), and the weights of registered models
 * served to their licence holders (who may call is decided by the access guard: `licence-holder`).
 */
@Injectable()
export class RegistryService {
  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(ModelMetadataRepository) private readonly published: ModelMetadataRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(ChainJobRepository) private readonly chainJobs: ChainJobRepository,
    @Inject(ChainRoundAnchorRepository) private readonly anchors: ChainRoundAnchorRepository,
    @Inject(ModelRegistryReader) private readonly registry: ModelRegistryReader,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** The finalised on-chain job's final global model as stored here, or why there is none. */
  async #finalModel(jobId: string): Promise<ModelEntity> {
    const chainJob = await this.chainJobs.findById(jobId);
    if (chainJob === null) throw new NotFoundError("on-chain job", jobId);
    const modelHash = await this.anchors.finalModelHash(jobId);
    if (modelHash === undefined) {
      throw new ConflictError(`job ${jobId} is ${chainJob.status} on chain: its model is listed once it is finalised`, {
        status: chainJob.status,
      });
    }
    const model = await this.models.findByHash(jobId, modelHash);
    if (model === undefined) throw new NotFoundError(`final model (SHA-256 ${modelHash}) of job`, jobId);
    return model;
  }

  /**
   * Stores a metadata document for the final model of finalised job `jobId`, after checking every field this
   * coordinator can check: the chain and job it names, the weights (the hash anchored for the job's last round, the
   * CID they are stored under here, their parameter count in the spec's layout), the spec (its hash is the job's
   * `modelSpecHash`), the task, the validation set the job was scored on, and one privacy entry per dataset of the
   * job, in its order. The accuracy and ε values are the publisher's: anyone can recompute them from public data.
   */
  async publish(jobId: JobId, body: unknown, publisher: Address): Promise<{ cid: string; uri: string }> {
    const metadata = parseInput(ModelMetadataSchema, body, "ModelMetadata");
    const bytes = modelMetadataBytes(metadata);
    if (bytes.byteLength > MAX_MODEL_METADATA_BYTES) {
      throw new PayloadTooLargeError("the model metadata", MAX_MODEL_METADATA_BYTES);
    }
    const chain = this.config.chain;
    const expect = (field: string, actual: unknown, wanted: unknown, why: string) => {
      if (actual !== wanted) throw new MetadataMismatchError(field, `is ${String(actual)}, ${why}`, { wanted });
    };
    expect("jobId", metadata.jobId, jobId, `but it is posted for job ${jobId}`);
    expect(
      "chainId",
      metadata.chainId,
      this.config.chainId,
      `but this coordinator follows chain ${this.config.chainId}`,
    );
    expect(
      "trainingJobs",
      metadata.trainingJobs,
      chain?.trainingJobs.toLowerCase(),
      `but this coordinator follows TrainingJobs ${chain?.trainingJobs.toLowerCase()}`,
    );
    const model = await this.#finalModel(jobId);
    expect("modelHash", metadata.modelHash, model.sha256, "not the modelHash anchored for the job's last round");
    expect("modelCid", metadata.modelCid, model.cid, "not where the job's final model is stored");
    const chainJob = await this.chainJobs.findById(jobId);
    expect(
      "jobSpec",
      jobSpecHash(metadata.jobSpec),
      chainJob?.modelSpecHash.toLowerCase(),
      "the hash of the spec given, not the job's modelSpecHash on TrainingJobs",
    );
    this.#checkDerived(metadata);
    const { cid } = await this.blobs.put(bytes);
    await this.published.record({ cid, jobId, modelHash: model.sha256, publisher });
    return { cid, uri: `ipfs://${cid}` };
  }

  /** The fields that follow from the (already checked) JobSpec. */
  #checkDerived(metadata: ModelMetadata): void {
    const { jobSpec } = metadata;
    const parameters = layoutLength(layoutFromSpec(jobSpec.model));
    if (metadata.parameters !== parameters) {
      throw new MetadataMismatchError("parameters", `is ${metadata.parameters}, the spec's layout has ${parameters}`);
    }
    if (metadata.task !== modelTask(jobSpec.model)) {
      throw new MetadataMismatchError(
        "task",
        `is ${metadata.task}, the spec's loss ${jobSpec.model.loss} makes it ${modelTask(jobSpec.model)}`,
      );
    }
    const scoredOn = "validationSetCid" in jobSpec.scoring ? jobSpec.scoring.validationSetCid : null;
    if ((metadata.validation?.validationSetCid ?? null) !== scoredOn) {
      throw new MetadataMismatchError(
        "validation",
        scoredOn === null
          ? "must be null: the job was scored on no validation set"
          : `must be the evaluation on the set the job was scored on, ${scoredOn}`,
      );
    }
    const datasets = metadata.privacy.map((entry) => entry.datasetId).join(",");
    if (datasets !== jobSpec.datasetIds.join(",")) {
      throw new MetadataMismatchError(
        "privacy",
        `names datasets ${datasets}, the job trained on ${jobSpec.datasetIds.join(",")}`,
      );
    }
  }

  /** A published metadata document (only CIDs published here: the route serves no other blob). */
  async metadata(cid: string): Promise<Buffer> {
    if (!(await this.published.has(cid))) throw new NotFoundError("model metadata", cid);
    return this.blobs.get(cid);
  }

  /**
   * The weights of registered model `modelId`: the global model, stored here, of the finalised job the model
   * references, whose SHA-256 is the `modelHash` registered on ModelRegistry. The access guard has already checked
   * that the caller holds a licence for it.
   */
  async licensedWeights(modelId: bigint): Promise<ServedWeights> {
    const registered = await this.registry.model(modelId);
    if (registered === undefined) throw new NotFoundError("model", String(modelId));
    if (registered.jobId === "0") {
      throw new NotFoundError(`job of model ${modelId} (it references none, so no coordinator trained it):`, "0");
    }
    const final = await this.#finalModel(registered.jobId);
    if (final.sha256 !== registered.modelHash) {
      throw new NotFoundError(
        `model with the registered hash ${registered.modelHash} among the final models of job`,
        registered.jobId,
      );
    }
    return { bytes: await this.blobs.get(final.cid), cid: final.cid, sha256: final.sha256 };
  }
}
