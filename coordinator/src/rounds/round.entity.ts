import type { SecAggRoundRecord } from "@tributary/protocol";
import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * One federated round. `collecting`: instructions out, updates coming in; `aggregating`: the update set is
 * frozen and the new model is being computed; `done`: the new model is stored and the job has moved on.
 */
/** What scoring a round's updates took: models evaluated on the validation set and wall time. */
export interface RoundScoring {
  readonly method: "examples" | "leave-one-out" | "gtg-shapley";
  /**
   * How the scores were computed (`exact-shapley` for a `gtg-shapley` round of ≤ 12 accepted updates,
   * `stratified-shapley` or `gtg-shapley` beyond;
   * `secure-aggregation`: by committed example counts, as no single update was seen).
   */
  readonly computedBy?:
    | "examples"
    | "leave-one-out"
    | "exact-shapley"
    | "stratified-shapley"
    | "gtg-shapley"
    | "secure-aggregation";
  readonly evaluations: number;
  readonly elapsedMs: number;
  /** A SecAgg+ round: what its leaves' blobs hold and how the protocol ended. */
  readonly secureAggregation?: SecAggRoundRecord;
}

export type RoundStatus = "collecting" | "aggregating" | "done" | "failed";

@Entity({ name: "rounds" })
export class RoundEntity {
  @PrimaryColumn({ type: "bigint", name: "job_id" })
  jobId!: string;

  @PrimaryColumn({ type: "integer" })
  round!: number;

  @Column({ type: "text" })
  status!: RoundStatus;

  /** `train` rounds produce a new model; the final `evaluate` round only measures the last one. */
  @Column({ type: "text" })
  kind!: "train" | "evaluate";

  @Column({ type: "text", name: "input_model_cid" })
  inputModelCid!: string;

  @Column({ type: "text", name: "output_model_cid", nullable: true })
  outputModelCid!: string | null;

  @Column({ type: "timestamptz" })
  deadline!: Date;

  /** Aggregated metrics: federated evaluation of the input model, training loss, ε spent. */
  @Column({ type: "jsonb", nullable: true })
  metrics!: Record<string, number> | null;

  /** Merkle root over the round's leaves `(trainer, updateHash, numExamples, score)`, once aggregated. */
  @Column({ type: "text", name: "updates_root", nullable: true })
  updatesRoot!: string | null;

  /** How the round's updates were scored and what it cost. */
  @Column({ type: "jsonb", nullable: true })
  scoring!: RoundScoring | null;

  /** How many times the deadline was extended for lack of answers (the job fails past `maxDeadlineExtensions`). */
  @Column({ type: "integer", default: 0 })
  extensions!: number;

  @Column({ type: "timestamptz", name: "started_at" })
  startedAt!: Date;

  @Column({ type: "timestamptz", name: "finished_at", nullable: true })
  finishedAt!: Date | null;
}
