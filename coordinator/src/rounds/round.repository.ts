import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { RoundEntity, type RoundScoring } from "./round.entity.js";

/** Federated rounds (`rounds`). Each transition is guarded by the state it leaves and says whether it happened. */
@Injectable()
export class RoundRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async open(tx: Transaction, round: Omit<RoundEntity, "updatesRoot" | "scoring" | "extensions">): Promise<void> {
    await Transaction.entityManager(tx).insert(RoundEntity, round);
  }

  findOne(jobId: string, round: number): Promise<RoundEntity | null> {
    return this.db.getRepository(RoundEntity).findOneBy({ jobId, round });
  }

  listForJob(jobId: string): Promise<RoundEntity[]> {
    return this.db.getRepository(RoundEntity).find({ where: { jobId }, order: { round: "ASC" } });
  }

  /** The job's aggregated training rounds, in order. */
  doneTrainingRounds(jobId: string): Promise<RoundEntity[]> {
    return this.db
      .getRepository(RoundEntity)
      .find({ where: { jobId, kind: "train", status: "done" }, order: { round: "ASC" } });
  }

  async extendDeadline(tx: Transaction, jobId: string, round: number, deadline: Date): Promise<void> {
    await Transaction.entityManager(tx).update(
      RoundEntity,
      { jobId, round, status: "collecting" },
      { deadline, extensions: () => "extensions + 1" },
    );
  }

  /** collecting → aggregating. */
  async close(tx: Transaction, jobId: string, round: number): Promise<boolean> {
    const closed = await Transaction.entityManager(tx).update(
      RoundEntity,
      { jobId, round, status: "collecting" },
      { status: "aggregating" },
    );
    return closed.affected === 1;
  }

  /** aggregating → done, with what the round produced. */
  async finish(
    tx: Transaction,
    jobId: string,
    round: number,
    result: {
      metrics: Record<string, number>;
      outputModelCid?: string;
      updatesRoot?: string;
      scoring?: RoundScoring;
      finishedAt: Date;
    },
  ): Promise<boolean> {
    const done = await Transaction.entityManager(tx).update(
      RoundEntity,
      { jobId, round, status: "aggregating" },
      { status: "done", ...result },
    );
    return done.affected === 1;
  }

  /** How many rounds stand in each status, by kind (for the metrics). */
  async countByStatus(): Promise<{ status: string; kind: string; count: number }[]> {
    const rows = await this.db
      .getRepository(RoundEntity)
      .createQueryBuilder("round")
      .select("round.status", "status")
      .addSelect("round.kind", "kind")
      .addSelect("COUNT(*)::int", "count")
      .groupBy("round.status")
      .addGroupBy("round.kind")
      .getRawMany<{ status: string; kind: string; count: number }>();
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
