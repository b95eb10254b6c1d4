import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";

/** A dataset a data owner enrolled: its commitment and budget. The data itself never leaves the owner. */
@Entity({ name: "datasets" })
export class DatasetEntity {
  /** Decimal uint256 (TypeORM maps bigint to string). */
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: string;

  @Column({ type: "text" })
  owner!: string;

  @Column({ type: "text" })
  name!: string;

  /** SHA-256 of the dataset manifest, 0x-hex. */
  @Column({ type: "text" })
  commitment!: string;

  @Column({ type: "text", name: "metadata_uri", nullable: true })
  metadataUri!: string | null;

  @Column({ type: "bigint", name: "record_count", transformer: BIGINT_COUNT })
  recordCount!: number;

  @Column({ type: "double precision", name: "epsilon_budget" })
  epsilonBudget!: number;

  @Column({ type: "double precision", name: "delta_budget" })
  deltaBudget!: number;

  @CreateDateColumn({ type: "timestamptz", name: "created_at" })
  createdAt!: Date;
}
