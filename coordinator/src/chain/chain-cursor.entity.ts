import { Column, Entity, PrimaryColumn, UpdateDateColumn } from "typeorm";

/** Where an indexer resumes: the first block it has not processed yet. Advanced in the same transaction as the rows the processed blocks produced. */
@Entity({ name: "chain_cursors" })
export class ChainCursorEntity {
  /** `<chainId>:<TrainingJobs address>:<DatasetRegistry address>`, so another deployment gets its own cursor. */
  @PrimaryColumn({ type: "text" })
  name!: string;

  /** bigint as decimal string (TypeORM maps bigint to string). */
  @Column({ type: "bigint", name: "next_block" })
  nextBlock!: string;

  @UpdateDateColumn({ type: "timestamptz", name: "updated_at" })
  updatedAt!: Date;
}
