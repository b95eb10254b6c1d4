import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, In } from "typeorm";
import { DatasetEntity } from "./dataset.entity.js";

/** The datasets enrolled with this coordinator (`datasets`). */
@Injectable()
export class DatasetRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  enrol(values: Omit<DatasetEntity, "id" | "createdAt">): Promise<DatasetEntity> {
    const repository = this.db.getRepository(DatasetEntity);
    return repository.save(repository.create(values));
  }

  list(): Promise<DatasetEntity[]> {
    return this.db.getRepository(DatasetEntity).find({ order: { id: "ASC" } });
  }

  findById(id: string): Promise<DatasetEntity | null> {
    return this.db.getRepository(DatasetEntity).findOneBy({ id });
  }

  exists(id: string): Promise<boolean> {
    return this.db.getRepository(DatasetEntity).existsBy({ id });
  }

  /** How many of `ids` are enrolled. */
  countEnrolled(ids: readonly string[]): Promise<number> {
    return this.db.getRepository(DatasetEntity).countBy({ id: In([...ids]) });
  }
}
