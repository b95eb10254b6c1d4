import { Column, CreateDateColumn, Entity, PrimaryColumn } from "typeorm";

/** A global model version, stored content-addressed in the blob store. */
@Entity({ name: "models" })
export class ModelEntity {
  @PrimaryColumn({ type: "text" })
  cid!: string;

  @Column({ type: "bigint", name: "job_id" })
  jobId!: string;

  /** The round that produced it; -1 for the initial model. */
  @Column({ type: "integer" })
  round!: number;

  /** SHA-256 of the bytes, 0x-hex. */
  @Column({ type: "text" })
  sha256!: string;

  @Column({ type: "integer", name: "byte_length" })
  byteLength!: number;

  @CreateDateColumn({ type: "timestamptz", name: "created_at" })
  createdAt!: Date;
}
