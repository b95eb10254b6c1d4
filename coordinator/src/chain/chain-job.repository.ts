import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { type DataSource, IsNull } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { ChainJobEntity } from "./chain-job.entity.js";

/** The jobs created on TrainingJobs (`chain_jobs`): written by the indexer, adopted by coordinator jobs. */
@Injectable()
export class ChainJobRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findById(jobId: string): Promise<ChainJobEntity | null> {
    return this.db.getRepository(ChainJobEntity).findOneBy({ jobId });
  }

  /** Links an on-chain job to the coordinator job that runs it, in the transaction creating that job. */
  async markAdopted(tx: Transaction, chainJobId: string, coordinatorJobId: string): Promise<void> {
    await Transaction.entityManager(tx).update(
      ChainJobEntity,
      { jobId: chainJobId },
      { adoptedJobId: coordinatorJobId, adoptionError: null },
    );
  }

  /** Jobs no coordinator job runs yet (only those naming `coordinator`, when given), by id. */
  unadopted(coordinator: string | undefined): Promise<ChainJobEntity[]> {
    const where = {
      adoptedJobId: IsNull(),
      ...(coordinator === undefined ? {} : { coordinator: coordinator.toLowerCase() }),
    };
    return this.db.getRepository(ChainJobEntity).find({ where, order: { jobId: "ASC" } });
  }

  async recordAdoptionError(jobId: string, message: string): Promise<void> {
    await this.db.getRepository(ChainJobEntity).update({ jobId }, { adoptionError: message });
  }
}
