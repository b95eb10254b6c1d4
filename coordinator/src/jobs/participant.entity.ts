import { Column, Entity, PrimaryColumn } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";

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

  /**
   * The record count of the dataset's manifest (checked against its commitment) when the trainer was admitted:
   * no update may claim more examples. Null only for trainers admitted before counts were committed.
   */
  @Column({ type: "bigint", name: "record_count", nullable: true, transformer: BIGINT_COUNT })
  recordCount!: number | null;

  @Column({ type: "timestamptz", name: "attested_at" })
  attestedAt!: Date;

  /** SHA-256 (0x hex) of the hardware attestation document it was admitted with; null for the simulator. */
  @Column({ type: "text", name: "attestation_hash", nullable: true })
  attestationHash!: string | null;

  /** When its record on AttestationRegistry expires; null for the simulator. */
  @Column({ type: "timestamptz", name: "attestation_expiry", nullable: true })
  attestationExpiry!: Date | null;
}
