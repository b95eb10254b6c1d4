import { Column, Entity, PrimaryColumn } from "typeorm";

export type ChainJobStatus = "open" | "running" | "finalized" | "cancelled";

/**
 * A job created on TrainingJobs, as its confirmed events describe it: every field of `JobCreated`, then the
 * progress `RoundAnchored`, `JobFinalized` and `JobCancelled` report. uint256 values are decimal strings,
 * addresses and hashes lower-case 0x-hex. `adoptedJobId` links it to the coordinator job that runs it.
 */
@Entity({ name: "chain_jobs" })
export class ChainJobEntity {
  @PrimaryColumn({ type: "numeric", name: "job_id" })
  jobId!: string;

  @Column({ type: "text" })
  researcher!: string;

  @Column({ type: "text" })
  coordinator!: string;

  @Column({ type: "text", name: "payment_token" })
  paymentToken!: string;

  /** SHA-256 of the canonical JobSpec JSON (see `job-spec-blob.ts`): the key of the spec in the blob store. */
  @Column({ type: "text", name: "model_spec_hash" })
  modelSpecHash!: string;

  /** Decimal dataset ids, in the order the job named them. */
  @Column({ type: "jsonb", name: "dataset_ids" })
  datasetIds!: string[];

  @Column({ type: "integer" })
  rounds!: number;

  @Column({ type: "numeric" })
  reward!: string;

  @Column({ type: "integer", name: "fee_bps" })
  feeBps!: number;

  @Column({ type: "text" })
  status!: ChainJobStatus;

  @Column({ type: "integer", name: "rounds_anchored" })
  roundsAnchored!: number;

  @Column({ type: "text", name: "payout_root", nullable: true })
  payoutRoot!: string | null;

  @Column({ type: "numeric", name: "payout_total", nullable: true })
  payoutTotal!: string | null;

  @Column({ type: "numeric", nullable: true })
  fee!: string | null;

  /** Unix seconds. */
  @Column({ type: "bigint", name: "claim_deadline", nullable: true })
  claimDeadline!: string | null;

  @Column({ type: "numeric", nullable: true })
  refund!: string | null;

  @Column({ type: "bigint", name: "created_block" })
  createdBlock!: string;

  @Column({ type: "text", name: "created_tx" })
  createdTx!: string;

  @Column({ type: "bigint", name: "last_block" })
  lastBlock!: string;

  @Column({ type: "integer", name: "last_log_index" })
  lastLogIndex!: number;

  /** The block of the `JobAccepted` event (the coordinator's `acceptJob`), once confirmed. */
  @Column({ type: "bigint", name: "accepted_block", nullable: true })
  acceptedBlock!: string | null;

  /** `JobAccepted.staleAt`: unix seconds from which the researcher may cancel if nothing else happened since. */
  @Column({ type: "numeric", name: "stale_at", nullable: true })
  staleAt!: string | null;

  /** The coordinator job running this on-chain job, once one was created for it. */
  @Column({ type: "bigint", name: "adopted_job_id", nullable: true })
  adoptedJobId!: string | null;

  /** Why the last attempt to create the coordinator job failed (e.g. no JobSpec uploaded for the hash yet). */
  @Column({ type: "text", name: "adoption_error", nullable: true })
  adoptionError!: string | null;
}
