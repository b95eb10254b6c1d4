import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ChainJobEntity } from "../chain/chain-job.entity.js";
import { JobEntity } from "../jobs/job.entity.js";
import { ParticipantEntity } from "../jobs/participant.entity.js";
import { ModelEntity } from "../models/model.entity.js";
import { UpdateEntity } from "../rounds/update.entity.js";

/** What a blob is, by CID, as far as access is concerned (read-only queries over the modules' tables). */
@Injectable()
export class BlobAccessRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The researcher of a job: who created it here, else its creator on TrainingJobs. */
  async researcher(jobId: string): Promise<string | undefined> {
    const job = await this.db.getRepository(JobEntity).findOneBy({ id: jobId });
    if (job?.researcher != null) return job.researcher.toLowerCase();
    const chainJob = await this.db.getRepository(ChainJobEntity).findOneBy({ jobId });
    return chainJob?.researcher.toLowerCase();
  }

  async job(jobId: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ id: jobId });
  }

  async participants(jobId: string): Promise<string[]> {
    const rows = await this.db.getRepository(ParticipantEntity).findBy({ jobId });
    return rows.map((row) => row.trainer.toLowerCase());
  }

  /** Updates stored under `cid`: which job and which trainer sent them. */
  async updates(cid: string): Promise<{ jobId: string; trainer: string }[]> {
    const rows = await this.db.getRepository(UpdateEntity).findBy({ cid });
    return rows.map((row) => ({ jobId: row.jobId, trainer: row.trainer.toLowerCase() }));
  }

  /** Jobs whose global model (any round, or the initial one) is `cid`. */
  async modelJobs(cid: string): Promise<string[]> {
    const rows = await this.db.getRepository(ModelEntity).findBy({ cid });
    return rows.map((row) => row.jobId);
  }

  /** Jobs scored on validation set `cid`, with their status. */
  async jobsScoredOn(cid: string): Promise<{ id: string; status: string }[]> {
    return this.db
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select(["job.id AS id", "job.status AS status"])
      .where("job.spec -> 'scoring' ->> 'validationSetCid' = :cid", { cid })
      .getRawMany<{ id: string; status: string }>();
  }

  /** On-chain jobs whose JobSpec has SHA-256 `sha256` (their `modelSpecHash`). */
  async jobsWithSpec(sha256: string): Promise<string[]> {
    const rows = await this.db.getRepository(ChainJobEntity).findBy({ modelSpecHash: sha256.toLowerCase() });
    return rows.map((row) => row.jobId);
  }
}
