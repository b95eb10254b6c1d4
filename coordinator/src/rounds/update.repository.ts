import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, In } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { UpdateEntity } from "./update.entity.js";

/** Accepted model updates (`updates`): the signed headers; the bytes are in the blob store. */
@Injectable()
export class UpdateRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async add(tx: Transaction, update: Omit<UpdateEntity, "score" | "rejected">): Promise<void> {
    await Transaction.entityManager(tx).insert(UpdateEntity, update);
  }

  /** A round's updates by trainer. */
  findByRound(jobId: string, round: number): Promise<UpdateEntity[]> {
    return this.db.getRepository(UpdateEntity).find({ where: { jobId, round }, order: { trainer: "ASC" } });
  }

  /** The updates of these rounds, by round then trainer. */
  findInRounds(jobId: string, rounds: readonly number[]): Promise<UpdateEntity[]> {
    return this.db.getRepository(UpdateEntity).find({
      where: { jobId, round: In([...rounds]) },
      order: { round: "ASC", trainer: "ASC" },
    });
  }

  /** Writes a round's scores and rejections in one statement, however many trainers answered. */
  async recordScores(
    tx: Transaction,
    jobId: string,
    round: number,
    leaves: { trainers: string[]; scores: string[]; rejected: boolean[] },
  ): Promise<void> {
    await Transaction.entityManager(tx).query(
      `UPDATE updates SET score = leaf.score::numeric, rejected = leaf.rejected
         FROM unnest($1::text[], $2::text[], $3::boolean[]) AS leaf (trainer, score, rejected)
        WHERE updates.job_id = $4 AND updates.round = $5 AND updates.trainer = leaf.trainer`,
      [leaves.trainers, leaves.scores, leaves.rejected, jobId, round],
    );
  }

  /**
   * Each trainer's contribution to the job: its summed score (decimal string; null when none was scored), its
   * dataset, and the rounds it took part in (updates the aggregation rule did not leave out).
   */
  async contributions(
    jobId: string,
  ): Promise<{ trainer: string; score: string | null; datasetId: string; rounds: number }[]> {
    const rows: { trainer: string; score: string | null; datasetId: string; rounds: string }[] = await this.db
      .getRepository(UpdateEntity)
      .createQueryBuilder("update")
      .select("update.trainer", "trainer")
      .addSelect("SUM(update.score)::text", "score")
      .addSelect("MAX(update.dataset_id)::text", "datasetId")
      .addSelect("COUNT(*) FILTER (WHERE NOT update.rejected)::text", "rounds")
      .where("update.job_id = :jobId", { jobId })
      .groupBy("update.trainer")
      .getRawMany();
    return rows.map((row) => ({ ...row, rounds: Number(row.rounds) }));
  }

  /** Whether `cid` is one of the job's updates. */
  holds(jobId: string, cid: string): Promise<boolean> {
    return this.db.getRepository(UpdateEntity).existsBy({ jobId, cid });
  }

  /** Per dataset, the highest cumulative ε its accepted updates signed (for the metrics). */
  async epsilonByDataset(): Promise<{ datasetId: string; epsilon: number }[]> {
    const rows = await this.db
      .getRepository(UpdateEntity)
      .createQueryBuilder("update")
      .select("update.dataset_id::text", "datasetId")
      .addSelect("MAX(update.epsilon_spent)", "epsilon")
      .where("update.epsilon_spent IS NOT NULL")
      .groupBy("update.dataset_id")
      .getRawMany<{ datasetId: string; epsilon: number | string }>();
    return rows.map((row) => ({ datasetId: row.datasetId, epsilon: Number(row.epsilon) }));
  }
}
