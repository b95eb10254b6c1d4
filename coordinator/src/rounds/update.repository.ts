import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, In } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";
import { Transaction } from "../database/transaction-runner.repository.js";
import { UpdateEntity } from "./update.entity.js";

/** An accepted update as aggregation reads it. */
export type AggregationInput = Pick<
  UpdateEntity,
  "trainer" | "updateHash" | "cid" | "numExamples" | "metrics" | "epsilonSpent"
>;

/** Accepted model updates (`updates`): the signed headers; the bytes are in the blob store. */
@Injectable()
export class UpdateRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Stores a batch of one round's updates in ONE statement, atomically: each row goes in only if, at that moment,
   * the job runs, the round collects (its row held shared until the statement ends, so it cannot close in between)
   * and the trainer's assignment is pending with the update's nonce, which it marks submitted. Returns whether the
   * round was open and which trainers' updates went in; any other was already in (or its assignment is no longer
   * pending).
   */
  async acceptBatch(
    jobId: string,
    round: number,
    updates: readonly Omit<UpdateEntity, "jobId" | "round" | "score" | "rejected">[],
  ): Promise<{ open: boolean; accepted: Set<string> }> {
    const column = <K extends keyof (typeof updates)[number]>(key: K) => updates.map((update) => update[key]);
    const rows: { open: number; accepted: string[] | null }[] = await this.db.query(
      `WITH open AS (
         SELECT 1 FROM rounds JOIN jobs ON jobs.id = rounds.job_id
          WHERE rounds.job_id = $1 AND rounds.round = $2 AND rounds.status = 'collecting' AND rounds.kind = 'train'
            AND jobs.status = 'running'
            FOR SHARE OF rounds
       ), batch AS (
         SELECT * FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[],
                              $9::double precision[], $10::double precision[], $11::text[], $12::text[], $13::timestamptz[])
           AS u (trainer, dataset_id, num_examples, update_hash, cid, metrics, epsilon_spent, delta, nonce, signature,
                 received_at)
       ), claimed AS (
         UPDATE assignments SET status = 'submitted', reason = NULL FROM batch
          WHERE assignments.job_id = $1 AND assignments.round = $2 AND assignments.trainer = batch.trainer
            AND assignments.nonce = batch.nonce AND assignments.status = 'pending' AND EXISTS (SELECT 1 FROM open)
          RETURNING assignments.trainer
       ), inserted AS (
         INSERT INTO updates (job_id, round, trainer, dataset_id, num_examples, update_hash, cid, metrics,
                              epsilon_spent, delta, nonce, signature, received_at)
         SELECT $1, $2, batch.trainer, batch.dataset_id, batch.num_examples, batch.update_hash, batch.cid,
                batch.metrics, batch.epsilon_spent, batch.delta, batch.nonce, batch.signature, batch.received_at
           FROM batch JOIN claimed ON claimed.trainer = batch.trainer
         RETURNING trainer
       )
       SELECT (SELECT count(*) FROM open)::int AS open, (SELECT array_agg(trainer) FROM inserted) AS accepted`,
      [
        jobId,
        round,
        column("trainer"),
        column("datasetId"),
        column("numExamples"),
        column("updateHash"),
        column("cid"),
        updates.map((update) => JSON.stringify(update.metrics)),
        column("epsilonSpent"),
        column("delta"),
        column("nonce"),
        column("signature"),
        column("receivedAt"),
      ],
    );
    const [row] = rows;
    return { open: (row?.open ?? 0) > 0, accepted: new Set(row?.accepted ?? []) };
  }

  /** Whether any update (of any job) is stored under `cid`. */
  referencesCid(cid: string): Promise<boolean> {
    return this.db.getRepository(UpdateEntity).existsBy({ cid });
  }

  /**
   * A round's updates by trainer, as aggregating it reads them: the columns it uses, without building an entity per
   * row (a thousand per round).
   */
  async forAggregation(jobId: string, round: number): Promise<AggregationInput[]> {
    const rows: (Omit<AggregationInput, "numExamples"> & { numExamples: string })[] = await this.db.query(
      `SELECT trainer, update_hash AS "updateHash", cid, num_examples::text AS "numExamples", metrics,
              epsilon_spent AS "epsilonSpent"
         FROM updates WHERE job_id = $1 AND round = $2 ORDER BY trainer ASC`,
      [jobId, round],
    );
    return rows.map((row) => ({ ...row, numExamples: BIGINT_COUNT.from(row.numExamples) as number }));
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
