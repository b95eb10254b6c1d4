import { Inject, Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { AddressSchema, Bytes32Schema, fromFixed18 } from "@tributary/protocol";
import type { DataSource } from "typeorm";
import { z } from "zod";
import { ChainDatasetEntity } from "../chain/chain-dataset.entity.js";
import { ConflictError, NotFoundError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { DatasetEntity } from "./dataset.entity.js";

export const EnrolDatasetSchema = z.strictObject({
  owner: AddressSchema,
  name: z.string().min(1).max(200),
  /** SHA-256 of the dataset manifest the trainer agent derives from the files. */
  commitment: Bytes32Schema,
  metadataUri: z.string().max(2000).optional(),
  recordCount: z.number().int().positive(),
  epsilonBudget: z.number().positive().max(1000),
  deltaBudget: z.number().positive().lt(1),
});
export type EnrolDataset = z.infer<typeof EnrolDatasetSchema>;

@Injectable()
export class DatasetsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async enrol(input: EnrolDataset): Promise<DatasetEntity> {
    if (this.config.chain !== undefined) {
      // Dataset ids are DatasetRegistry's here: an off-chain id could name someone else's on-chain dataset.
      throw new ConflictError(
        `this coordinator knows the datasets enrolled on DatasetRegistry (${this.config.chain.datasetRegistry}): enrol there`,
      );
    }
    const repository = this.db.getRepository(DatasetEntity);
    return repository.save(repository.create({ ...input, metadataUri: input.metadataUri ?? null }));
  }

  /** Every dataset this coordinator knows: enrolled with it, then enrolled on DatasetRegistry. */
  async list(): Promise<(DatasetEntity | OnChainDataset)[]> {
    const enrolled = await this.db.getRepository(DatasetEntity).find({ order: { id: "ASC" } });
    const onChain = await this.db.getRepository(ChainDatasetEntity).find({ order: { datasetId: "ASC" } });
    return [...enrolled, ...onChain.map(onChainView)];
  }

  async get(id: string): Promise<DatasetEntity | OnChainDataset> {
    const dataset = await this.db.getRepository(DatasetEntity).findOneBy({ id });
    if (dataset !== null) return dataset;
    const onChain = await this.db.getRepository(ChainDatasetEntity).findOneBy({ datasetId: id });
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
