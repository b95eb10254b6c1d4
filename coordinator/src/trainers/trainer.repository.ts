import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { TrainerEntity } from "./trainer.entity.js";

/** Trainer agents that have logged in (`trainers`). */
@Injectable()
export class TrainerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a login: the trainer, the dataset it serves, when. */
  async recordLogin(trainer: TrainerEntity): Promise<void> {
    await this.db.getRepository(TrainerEntity).upsert(trainer, ["address"]);
  }

  list(): Promise<TrainerEntity[]> {
    return this.db.getRepository(TrainerEntity).find({ order: { address: "ASC" } });
  }
}
