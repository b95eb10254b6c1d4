import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, In } from "typeorm";
import { ChainDatasetEntity } from "./chain-dataset.entity.js";

/** The datasets enrolled on DatasetRegistry, as the indexer recorded them (`chain_datasets`; read-only here). */
@Injectable()
export class ChainDatasetRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<ChainDatasetEntity[]> {
    return this.db.getRepository(ChainDatasetEntity).find({ order: { datasetId: "ASC" } });
  }

  findById(datasetId: string): Promise<ChainDatasetEntity | null> {
    return this.db.getRepository(ChainDatasetEntity).findOneBy({ datasetId });
  }

  /** How many of `ids` are active on DatasetRegistry. */
  countActive(ids: readonly string[]): Promise<number> {
    return this.db.getRepository(ChainDatasetEntity).countBy({ datasetId: In([...ids]), active: true });
  }
}
