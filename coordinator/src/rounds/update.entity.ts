import { Column, Entity, PrimaryColumn } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";

/** An accepted model update: the signed header; the bytes live in the blob store under `cid`. */
@Entity({ name: "updates" })
export class UpdateEntity {
  @PrimaryColumn({ type: "bigint", name: "job_id" })
  jobId!: string;

  @PrimaryColumn({ type: "integer" })
  round!: number;

  @PrimaryColumn({ type: "text" })
  trainer!: string;

  @Column({ type: "bigint", name: "dataset_id" })
  datasetId!: string;

  @Column({ type: "bigint", name: "num_examples", transformer: BIGINT_COUNT })
  numExamples!: number;

  @Column({ type: "text", name: "update_hash" })
  updateHash!: string;

  @Column({ type: "text" })
  cid!: string;

  @Column({ type: "jsonb" })
  metrics!: Record<string, number>;

  /** Null when the update was trained without differential privacy (ε = ∞). */
  @Column({ type: "double precision", name: "epsilon_spent", nullable: true })
  epsilonSpent!: number | null;

  @Column({ type: "double precision" })
  delta!: number;

  @Column({ type: "text" })
  nonce!: string;

  @Column({ type: "text" })
  signature!: string;

  /** Share of the round, scaled by 1e18 (decimal string); null until the round is aggregated and scored. */
  @Column({ type: "numeric", nullable: true })
  score!: string | null;

  /** The aggregation rule left this update out (e.g. Krum did not select it): its score is 0. */
  @Column({ type: "boolean", default: false })
  rejected!: boolean;

  @Column({ type: "timestamptz", name: "received_at" })
  receivedAt!: Date;
}
