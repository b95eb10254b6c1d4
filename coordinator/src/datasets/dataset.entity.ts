import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

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

  @Column({ type: "integer", name: "record_count" })
  recordCount!: number;

  @Column({ type: "double precision", name: "epsilon_budget" })
  epsilonBudget!: number;

  @Column({ type: "double precision", name: "delta_budget" })
  deltaBudget!: number;

  @CreateDateColumn({ type: "timestamptz", name: "created_at" })
  createdAt!: Date;
}
