import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ModelMetadataEntity } from "./model-metadata.entity.js";

/** The model metadata documents published here (`model_metadata`); their bytes are in the blob store. */
@Injectable()
export class ModelMetadataRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a publication; the same document published again keeps its first publisher. */
  async record(row: Omit<ModelMetadataEntity, "publishedAt">): Promise<void> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(ModelMetadataEntity)
      .values({ ...row, publishedAt: new Date() })
      .orIgnore()
      .execute();
  }

  has(cid: string): Promise<boolean> {
    return this.db.getRepository(ModelMetadataEntity).existsBy({ cid });
  }
}
