import { Inject, Injectable } from "@nestjs/common";
import { AddressSchema, Bytes32Schema, fromFixed18, StoredTextSchema } from "@tributary/protocol";
import { z } from "zod";
import type { ChainDatasetEntity } from "../chain/chain-dataset.entity.js";
import { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import { ConflictError, NotFoundError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { DatasetEntity } from "./dataset.entity.js";
import { DatasetRepository } from "./dataset.repository.js";

/** Most records a dataset may declare: the `datasets.record_count` column is a PostgreSQL `integer`. */
/** Counts are 64-bit in the database and exact in JavaScript up to 2^53 − 1. */
const MAX_RECORD_COUNT = Number.MAX_SAFE_INTEGER;

/** What `POST /datasets` takes; every string is storable in PostgreSQL (no NUL, well-formed Unicode). */
export const EnrolDatasetSchema = z.strictObject({
  owner: AddressSchema,
  name: StoredTextSchema.min(1).max(200),
  /** SHA-256 of the dataset manifest the trainer agent derives from the files. */
  commitment: Bytes32Schema,
  metadataUri: StoredTextSchema.max(2000).optional(),
  recordCount: z
    .number()
    .int()
    .positive()
    .max(MAX_RECORD_COUNT, `must be at most ${MAX_RECORD_COUNT} (the largest exact count)`),
  epsilonBudget: z.number().positive().max(1000),
  deltaBudget: z.number().positive().lt(1),
});
export type EnrolDataset = z.infer<typeof EnrolDatasetSchema>;

@Injectable()
export class DatasetsService {
  constructor(
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(ChainDatasetRepository) private readonly chainDatasets: ChainDatasetRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async enrol(input: EnrolDataset): Promise<DatasetEntity> {
    if (this.config.chain !== undefined) {
      // Dataset ids are DatasetRegistry's here: an off-chain id could name someone else's on-chain dataset.
      throw new ConflictError(
        `this coordinator knows the datasets enrolled on DatasetRegistry (${this.config.chain.datasetRegistry}): enrol there`,
      );
    }
    return this.datasets.enrol({ ...input, metadataUri: input.metadataUri ?? null });
  }

  /** Every dataset this coordinator knows: enrolled with it, then enrolled on DatasetRegistry. */
  async list(): Promise<(DatasetEntity | OnChainDataset)[]> {
    const enrolled = await this.datasets.list();
    const onChain = await this.chainDatasets.list();
    return [...enrolled, ...onChain.map(onChainView)];
  }

  async get(id: string): Promise<DatasetEntity | OnChainDataset> {
    const dataset = await this.datasets.findById(id);
    if (dataset !== null) return dataset;
    const onChain = await this.chainDatasets.findById(id);
    if (onChain === null) throw new NotFoundError("dataset", id);
    return onChainView(onChain);
  }
}

/** A dataset enrolled on DatasetRegistry, as its confirmed events describe it (budgets as plain numbers). */
export interface OnChainDataset {
  readonly id: string;
  readonly owner: string;
  readonly commitment: string;
  readonly metadataUri: string;
  /** Payment token units (wei), decimal. */
  readonly pricePerRound: string;
  readonly epsilonBudget: number;
  readonly deltaBudget: number;
  readonly active: boolean;
  readonly registry: "DatasetRegistry";
}

function onChainView(dataset: ChainDatasetEntity): OnChainDataset {
  return {
    id: dataset.datasetId,
    owner: dataset.owner,
    commitment: dataset.commitment,
    metadataUri: dataset.metadataUri,
    pricePerRound: dataset.pricePerRound,
    epsilonBudget: fromFixed18(BigInt(dataset.epsilon)),
    deltaBudget: fromFixed18(BigInt(dataset.delta)),
    active: dataset.active,
    registry: "DatasetRegistry",
  };
}
