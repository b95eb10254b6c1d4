import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { ModelEntity } from "./model.entity.js";

type NewModel = Omit<ModelEntity, "createdAt">;

/** The global model versions of each job (`models`); their bytes are in the blob store. */
@Injectable()
export class ModelRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a job's initial model. */
  async add(tx: Transaction, model: NewModel): Promise<void> {
    const manager = Transaction.entityManager(tx);
    await manager.save(manager.create(ModelEntity, model));
  }

  /** Records a round's model (again, harmlessly, if the same bytes were produced before). */
  async put(tx: Transaction, model: NewModel): Promise<void> {
    await Transaction.entityManager(tx).upsert(ModelEntity, model, ["cid"]);
  }

  findByJob(jobId: string): Promise<ModelEntity[]> {
    return this.db.getRepository(ModelEntity).findBy({ jobId });
  }

  /** The job's global model whose bytes have SHA-256 `sha256` (0x-hex), if it holds one. */
  async findByHash(jobId: string, sha256: string): Promise<ModelEntity | undefined> {
    return (await this.db.getRepository(ModelEntity).findOneBy({ jobId, sha256: sha256.toLowerCase() })) ?? undefined;
  }

  /** Whether `cid` is one of the job's models. */
  holds(jobId: string, cid: string): Promise<boolean> {
    return this.db.getRepository(ModelEntity).existsBy({ jobId, cid });
  }
}
