import { Column, Entity, PrimaryColumn } from "typeorm";

/** A trainer agent that has logged in at least once: its Ethereum address and the dataset it serves. */
@Entity({ name: "trainers" })
export class TrainerEntity {
  @PrimaryColumn({ type: "text" })
  address!: string;

  @Column({ type: "bigint", name: "dataset_id" })
  datasetId!: string;

  @Column({ type: "timestamptz", name: "last_seen_at" })
  lastSeenAt!: Date;
}
