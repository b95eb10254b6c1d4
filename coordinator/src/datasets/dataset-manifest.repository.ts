import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { DatasetManifestEntity } from "./dataset-manifest.entity.js";

/** The manifests trainers uploaded for their datasets (`dataset_manifests`), one per dataset, the latest kept. */
@Injectable()
export class DatasetManifestRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(values: DatasetManifestEntity): Promise<void> {
    await this.db.getRepository(DatasetManifestEntity).upsert(values, ["datasetId"]);
  }

  find(datasetId: string): Promise<DatasetManifestEntity | null> {
    return this.db.getRepository(DatasetManifestEntity).findOneBy({ datasetId });
  }
}
