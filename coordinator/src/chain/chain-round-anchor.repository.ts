import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ChainRoundAnchorEntity } from "./chain-round-anchor.entity.js";

/** The `RoundAnchored` events of TrainingJobs (`chain_round_anchors`), as the indexer recorded them. */
@Injectable()
export class ChainRoundAnchorRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByJob(jobId: string): Promise<ChainRoundAnchorEntity[]> {
    return this.db.getRepository(ChainRoundAnchorEntity).findBy({ jobId });
  }
}
