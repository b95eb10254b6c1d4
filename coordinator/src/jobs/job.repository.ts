import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { JobSpec, ModelLayout } from "@tributary/protocol";
import { type DataSource, In } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { JobEntity, type JobPayout, type JobStatus } from "./job.entity.js";
import type { ReturnedModel } from "./returned-model.js";

/** Training jobs and where they stand (`jobs`). Writes that guard on a state change nothing when it moved on. */
@Injectable()
export class JobRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findById(id: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ id });
  }

  /** The job if it runs on chain. */
  findOnChain(id: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ id, onChain: true });
  }

  list(): Promise<JobEntity[]> {
    return this.db.getRepository(JobEntity).find({ order: { id: "ASC" } });
  }

  /** Ids of the jobs still running or in their final evaluation. */
  async activeIds(): Promise<string[]> {
    const jobs = await this.db
      .getRepository(JobEntity)
      .find({ select: { id: true }, where: { status: In(["running", "evaluating"]) } });
    return jobs.map((job) => job.id);
  }

  /** Running jobs that train on this dataset. */
  async openJobsFor(datasetId: string): Promise<string[]> {
    const jobs = await this.db
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select("job.id", "id")
      .where("job.status IN ('running', 'evaluating')")
      .andWhere("job.spec -> 'datasetIds' ? :datasetId", { datasetId })
      .getRawMany<{ id: string }>();
    return jobs.map((job) => job.id);
  }

  /**
   * Creates a running job at round 0 with its initial model. With `id` (an on-chain job's) the row takes that id;
   * otherwise the database assigns one.
   */
  async create(
    tx: Transaction,
    job: {
      id?: string;
      spec: JobSpec;
      layout: ModelLayout;
      modelCid: string;
      onChain: boolean;
      researcher: string;
    },
  ): Promise<JobEntity> {
    const manager = Transaction.entityManager(tx);
    if (job.id === undefined) {
      return manager.save(
        manager.create(JobEntity, {
          spec: job.spec,
          layout: job.layout,
          status: "running",
          round: 0,
          modelCid: job.modelCid,
          optimizerStateCid: null,
          finalMetrics: null,
          result: null,
          error: null,
          onChain: job.onChain,
          researcher: job.researcher,
          payout: null,
        }),
      );
    }
    // TypeORM never writes a generated primary key, so the on-chain id goes in by hand.
    await manager.query(
      `INSERT INTO jobs (id, spec, layout, status, round, model_cid, on_chain, researcher) VALUES ($1, $2, $3, 'running', 0, $4, $5, $6)`,
      [job.id, JSON.stringify(job.spec), JSON.stringify(job.layout), job.modelCid, job.onChain, job.researcher],
    );
    return manager.findOneByOrFail(JobEntity, { id: job.id });
  }

  /** Cancels a running or evaluating job; returns whether it was one. */
  async cancel(id: string): Promise<boolean> {
    const result = await this.db
      .getRepository(JobEntity)
      .update({ id, status: In(["running", "evaluating"]) }, { status: "cancelled" });
    return result.affected !== 0;
  }

  /** Says why a running job is not moving (null: it is); only while it is running or evaluating. */
  async setStatusMessage(id: string, message: string | null): Promise<void> {
    await this.db
      .getRepository(JobEntity)
      .update({ id, status: In(["running", "evaluating"]) }, { statusMessage: message });
  }

  /** Fails the job if it is still in `status`. */
  async fail(id: string, status: JobStatus, message: string): Promise<void> {
    await this.db.getRepository(JobEntity).update({ id, status }, { status: "failed", error: message });
  }

  /** Moves a running job past `round` to its new model (and optimiser state), or into its final evaluation. */
  async finishRound(
    tx: Transaction,
    id: string,
    round: number,
    next: { modelCid: string; optimizerStateCid: string | null; evaluating: boolean },
  ): Promise<void> {
    await Transaction.entityManager(tx).update(
      JobEntity,
      { id, round, status: "running" },
      {
        round: round + 1,
        modelCid: next.modelCid,
        optimizerStateCid: next.optimizerStateCid,
        status: next.evaluating ? "evaluating" : "running",
      },
    );
  }

  /** Completes an evaluating job with its final metrics, payouts and the model it returns. */
  async complete(
    tx: Transaction,
    id: string,
    finalMetrics: Record<string, number>,
    payout: JobPayout | null,
    result: ReturnedModel | null,
  ): Promise<void> {
    await Transaction.entityManager(tx).update(
      JobEntity,
      { id, status: "evaluating" },
      { status: "completed", finalMetrics, payout, result },
    );
  }

  /** How many jobs stand in each status (for the metrics). */
  async countByStatus(): Promise<{ status: string; count: number }[]> {
    const rows = await this.db
      .getRepository(JobEntity)
      .createQueryBuilder("job")
      .select("job.status", "status")
      .addSelect("COUNT(*)::int", "count")
      .groupBy("job.status")
      .getRawMany<{ status: string; count: number }>();
    return rows.map((row) => ({ status: row.status, count: Number(row.count) }));
  }
}
