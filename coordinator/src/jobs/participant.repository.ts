import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { ParticipantEntity } from "./participant.entity.js";

/** The trainers admitted to each job (`participants`). */
@Injectable()
export class ParticipantRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Admits (or re-admits, with its new attestation) a trainer to a job in `tx`; returns the row written. */
  async admit(tx: Transaction, values: ParticipantEntity): Promise<ParticipantEntity> {
    const rows = Transaction.entityManager(tx).getRepository(ParticipantEntity);
    const participant = rows.create(values);
    await rows.upsert(participant, ["jobId", "trainer"]);
    return participant;
  }

  findByJob(jobId: string): Promise<ParticipantEntity[]> {
    return this.db.getRepository(ParticipantEntity).findBy({ jobId });
  }

  find(jobId: string, trainer: string): Promise<ParticipantEntity | null> {
    return this.db.getRepository(ParticipantEntity).findOneBy({ jobId, trainer });
  }
}
