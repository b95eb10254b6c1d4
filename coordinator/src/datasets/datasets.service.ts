import { Inject, Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { AddressSchema, Bytes32Schema } from "@tributary/protocol";
import type { DataSource } from "typeorm";
import { z } from "zod";
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

  list(): Promise<DatasetEntity[]> {
    return this.db.getRepository(DatasetEntity).find({ order: { id: "ASC" } });
  }

  async get(id: string): Promise<DatasetEntity> {
    const dataset = await this.db.getRepository(DatasetEntity).findOneBy({ id });
    if (dataset === null) throw new NotFoundError("dataset", id);
    return dataset;
  }
}
