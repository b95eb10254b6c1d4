import type { JobSpec, ModelLayout } from "@tributary/protocol";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import type { ReturnedModel } from "./returned-model.js";

/** A job's payouts: amounts are decimal strings in the payment token's smallest unit. */
export interface JobPayout {
  readonly payoutRoot: string;
  readonly payoutTotal: string;
  readonly fee: string;
  readonly refund: string;
  readonly leaves: readonly { trainer: string; amount: string; cumulativeScore: string }[];
}

export type JobStatus = "running" | "evaluating" | "completed" | "cancelled" | "failed";

/** A training job and where it stands. `round` is the round in progress (or the next to start). */
@Entity({ name: "jobs" })
export class JobEntity {
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: string;

  @Column({ type: "jsonb" })
  spec!: JobSpec;

  @Column({ type: "jsonb" })
  layout!: ModelLayout;

  @Column({ type: "text" })
  status!: JobStatus;

  @Column({ type: "integer" })
  round!: number;

  /** CID of the current global model (the initial one before round 0 ends). */
  @Column({ type: "text", name: "model_cid" })
  modelCid!: string;

  /** CID of the server optimiser's serialised state, for the adaptive strategies. */
  @Column({ type: "text", name: "optimizer_state_cid", nullable: true })
  optimizerStateCid!: string | null;

  /** Federated evaluation of the final model, once the job completed. */
  @Column({ type: "jsonb", name: "final_metrics", nullable: true })
  finalMetrics!: Record<string, number> | null;

  /**
   * Which model the completed job returns: the best of its rounds on the researcher's validation set when it has
   * one, else the last (`returned-model.ts`); the last beside it. `modelCid` stays the last round's model (the one
   * anchored last and measured by `finalMetrics`).
   */
  @Column({ type: "jsonb", nullable: true })
  result!: ReturnedModel | null;

  @Column({ type: "text", nullable: true })
  error!: string | null;

  /** Why a running job is not moving, e.g. too few trainers online to open its next round; null when it is. */
  @Column({ type: "text", name: "status_message", nullable: true })
  statusMessage!: string | null;

  /** Runs the TrainingJobs job with the same id: its rounds are anchored and its payouts posted on chain. */
  @Column({ type: "boolean", name: "on_chain", default: false })
  onChain!: boolean;

  /** Who may cancel the job and read its models: the signed-in creator, or the job's creator on TrainingJobs. */
  @Column({ type: "text", nullable: true })
  researcher!: string | null;

  /** The payouts computed when the job completed (on-chain jobs), as posted with `finalizeJob`. */
  @Column({ type: "jsonb", nullable: true })
  payout!: JobPayout | null;

  @CreateDateColumn({ type: "timestamptz", name: "created_at" })
  createdAt!: Date;

  @UpdateDateColumn({ type: "timestamptz", name: "updated_at" })
  updatedAt!: Date;
}
