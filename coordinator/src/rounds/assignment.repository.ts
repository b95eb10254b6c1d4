import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { AssignmentEntity } from "./assignment.entity.js";

/** One trainer's place in one round. */
export interface AssignmentKey {
  readonly jobId: string;
  readonly round: number;
  readonly trainer: string;
}

/** The trainers selected for each round and how they answered (`assignments`). */
@Injectable()
export class AssignmentRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * New pending assignments of one round in one INSERT whatever their number: each column is one array parameter
   * (`unnest`), so neither TypeORM nor the database builds or parses a statement with a parameter per cell.
   */
  async insertPending(
    tx: Transaction,
    jobId: string,
    round: number,
    rows: readonly { trainer: string; nonce: string }[],
  ): Promise<void> {
    await Transaction.entityManager(tx).query(
      `INSERT INTO assignments (job_id, round, trainer, nonce, status)
       SELECT $1, $2, trainer, nonce, 'pending' FROM unnest($3::text[], $4::text[]) AS a (trainer, nonce)`,
      [jobId, round, rows.map((row) => row.trainer), rows.map((row) => row.nonce)],
    );
  }

  /** Marks the round's unanswered trainers dropped. */
  async dropPending(tx: Transaction, jobId: string, round: number): Promise<void> {
    await Transaction.entityManager(tx).update(
      AssignmentEntity,
      { jobId, round, status: "pending" },
      { status: "dropped" },
    );
  }

  findByRound(jobId: string, round: number): Promise<AssignmentEntity[]> {
    return this.db.getRepository(AssignmentEntity).findBy({ jobId, round });
  }

  /** A round's assignments counted: all, answered (no longer pending), and useful (an update or an evaluation in). */
  async countRound(jobId: string, round: number): Promise<{ total: number; answered: number; useful: number }> {
    const [row] = (await this.db.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status <> 'pending')::int AS answered,
              count(*) FILTER (WHERE status IN ('submitted', 'evaluated'))::int AS useful
         FROM assignments WHERE job_id = $1 AND round = $2`,
      [jobId, round],
    )) as { total: number; answered: number; useful: number }[];
    return row ?? { total: 0, answered: 0, useful: 0 };
  }

  findByJob(jobId: string): Promise<AssignmentEntity[]> {
    return this.db.getRepository(AssignmentEntity).find({ where: { jobId } });
  }

  pendingInRound(jobId: string, round: number): Promise<AssignmentEntity[]> {
    return this.db.getRepository(AssignmentEntity).findBy({ jobId, round, status: "pending" });
  }

  evaluatedInRound(jobId: string, round: number): Promise<AssignmentEntity[]> {
    return this.db.getRepository(AssignmentEntity).findBy({ jobId, round, status: "evaluated" });
  }

  /** Every round a trainer still has to answer. */
  pendingFor(trainer: string): Promise<AssignmentEntity[]> {
    return this.db.getRepository(AssignmentEntity).findBy({ trainer, status: "pending" });
  }

  /** pending → refused, if the nonce matches; returns whether it did. */
  async refuse(key: AssignmentKey, nonce: string, reason: string): Promise<boolean> {
    const result = await this.db
      .getRepository(AssignmentEntity)
      .update({ ...key, nonce, status: "pending" }, { status: "refused", reason });
    return result.affected === 1;
  }

  /** pending → evaluated with the trainer's report, if the nonce matches; returns whether it did. */
  async recordEvaluation(
    key: AssignmentKey,
    nonce: string,
    evalMetrics: Record<string, number>,
    evalExamples: number,
  ): Promise<boolean> {
    const result = await this.db
      .getRepository(AssignmentEntity)
      .update({ ...key, nonce, status: "pending" }, { status: "evaluated", evalMetrics, evalExamples });
    return result.affected === 1;
  }

  /** Why the trainer's last update was rejected, while it may still send another. */
  async noteRejection(key: AssignmentKey, reason: string): Promise<void> {
    await this.db.getRepository(AssignmentEntity).update({ ...key, status: "pending" }, { reason });
  }
}
