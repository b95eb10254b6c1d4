import { Column, Entity, PrimaryColumn } from "typeorm";
import { BIGINT_COUNT } from "../database/bigint-count.js";

/**
 * A trainer selected for a round, with the nonce its update must echo. `pending` until it answers (a rejected
 * update leaves it pending, with the reason, so the trainer may correct and resend before the deadline); then
 * `submitted` (update accepted), `refused` (it declined, e.g. privacy budget), `evaluated` (evaluation round) or
 * `dropped` (the round closed without its answer).
 */
export type AssignmentStatus = "pending" | "submitted" | "refused" | "evaluated" | "dropped";

@Entity({ name: "assignments" })
export class AssignmentEntity {
  @PrimaryColumn({ type: "bigint", name: "job_id" })
  jobId!: string;

  @PrimaryColumn({ type: "integer" })
  round!: number;

  @PrimaryColumn({ type: "text" })
  trainer!: string;

  @Column({ type: "text" })
  nonce!: string;

  @Column({ type: "text" })
  status!: AssignmentStatus;

  /** Why the trainer refused, or why its last update was rejected, as reported to it. */
  @Column({ type: "text", nullable: true })
  reason!: string | null;

  /** Federated evaluation of the round's input model on the trainer's held-out data. */
  @Column({ type: "jsonb", name: "eval_metrics", nullable: true })
  evalMetrics!: Record<string, number> | null;

  @Column({ type: "bigint", name: "eval_examples", nullable: true, transformer: BIGINT_COUNT })
  evalExamples!: number | null;
}
