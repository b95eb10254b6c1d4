import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ChainJobEntity } from "./chain-job.entity.js";
import { ChainRoundAnchorEntity } from "./chain-round-anchor.entity.js";

/** The `RoundAnchored` events of TrainingJobs (`chain_round_anchors`), as the indexer recorded them. */
@Injectable()
export class ChainRoundAnchorRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByJob(jobId: string): Promise<ChainRoundAnchorEntity[]> {
    return this.db.getRepository(ChainRoundAnchorEntity).findBy({ jobId });
  }

  /**
   * The `modelHash` anchored for the last round of on-chain job `jobId` (its final model) once the job is finalised
   * (confirmed `JobFinalized`); undefined before, or for a job the indexer has not seen.
   */
  async finalModelHash(jobId: string): Promise<string | undefined> {
    const job = await this.db.getRepository(ChainJobEntity).findOneBy({ jobId });
    if (job === null || job.status !== "finalized") return undefined;
    const anchor = await this.db.getRepository(ChainRoundAnchorEntity).findOneBy({ jobId, round: job.rounds });
    return anchor?.modelHash.toLowerCase();
  }
}
