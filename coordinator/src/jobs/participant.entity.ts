import { Column, Entity, PrimaryColumn } from "typeorm";

/** A trainer admitted to a job after its attestation verified under the coordinator's policy. */
@Entity({ name: "participants" })
export class ParticipantEntity {
  @PrimaryColumn({ type: "bigint", name: "job_id" })
  jobId!: string;

  @PrimaryColumn({ type: "text" })
  trainer!: string;

  @Column({ type: "bigint", name: "dataset_id" })
  datasetId!: string;

  @Column({ type: "text", name: "tee_kind" })
  teeKind!: string;

  /** True when the attestation came from the development simulator: no hardware guarantee. */
  @Column({ type: "boolean" })
  simulated!: boolean;

  @Column({ type: "text" })
  measurement!: string;

  @Column({ type: "timestamptz", name: "attested_at" })
  attestedAt!: Date;
}
