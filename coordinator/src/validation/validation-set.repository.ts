import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ValidationSetEntity } from "./validation-set.entity.js";

@Injectable()
export class ValidationSetRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(cid: string, uploader: string): Promise<void> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(ValidationSetEntity)
      .values({ cid, uploader, uploadedAt: new Date() })
      .orIgnore()
      .execute();
  }

  async uploaders(cid: string): Promise<string[]> {
    const rows = await this.db.getRepository(ValidationSetEntity).findBy({ cid });
    return rows.map((row) => row.uploader);
  }
}
