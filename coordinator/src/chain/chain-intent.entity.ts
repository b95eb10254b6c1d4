import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import type { ChainIntentArgs, ChainIntentKind } from "./chain-intent.js";

/**
 * `pending`: committed, no transaction signed yet. `sent`: at least one transaction signed and recorded (before it
 * was broadcast), not yet confirmed. `confirmed`: the chain shows the intent's effect with enough confirmations.
 * `failed`: the call reverts for a permanent reason (`errorName`/`errorArgs`) or the chain holds a different value.
 */
export type ChainIntentStatus = "pending" | "sent" | "confirmed" | "failed";

/** One signed transaction of an intent: the first, a rebroadcast keeps it, each fee bump adds one. */
export interface SentTransaction {
  readonly hash: string;
  readonly nonce: number;
  /** Wei, decimal. */
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
  /** ISO-8601. */
  readonly signedAt: string;
}

/** How a confirmed intent was resolved: by one of its own transactions, or by finding the effect already on chain. */
export type ChainIntentResolution = "mined" | "already-on-chain";

/** The transactional outbox of chain writes (table `chain_intents`). */
@Entity({ name: "chain_intents" })
export class ChainIntentEntity {
  @PrimaryGeneratedColumn({ type: "bigint" })
  id!: string;

  @Column({ type: "text" })
  kind!: ChainIntentKind;

  /**
   * The effect: `acceptJob:<jobId>`, `anchorRound:<jobId>:<round>`, `finalizeJob:<jobId>`,
   * `recordAttestation:<signer>:<attestationHash>`. Unique among intents not failed.
   */
  @Column({ type: "text", name: "dedupe_key" })
  dedupeKey!: string;

  @Column({ type: "jsonb" })
  args!: ChainIntentArgs;

  @Column({ type: "text" })
  status!: ChainIntentStatus;

  /** The account that signed its transactions (lower-case 0x address); null until the first is signed. */
  @Column({ type: "text", nullable: true })
  sender!: string | null;

  /** The sender account's nonce this intent's transactions use (every bump reuses it). */
  @Column({ type: "bigint", nullable: true })
  nonce!: string | null;

  /** Every transaction ever signed for this intent, oldest first. */
  @Column({ type: "jsonb" })
  txs!: SentTransaction[];

  /** The latest signed transaction, so a restarted sender can rebroadcast exactly it. */
  @Column({ type: "text", name: "raw_tx", nullable: true })
  rawTx!: string | null;

  /** Broadcasts tried (first sends, rebroadcasts and fee bumps). */
  @Column({ type: "integer" })
  attempts!: number;

  @Column({ type: "text", name: "last_error", nullable: true })
  lastError!: string | null;

  /** The decoded custom error of a permanent revert, e.g. `TrainingJobsRoundOutOfOrder`. */
  @Column({ type: "text", name: "error_name", nullable: true })
  errorName!: string | null;

  /** Its arguments (bigints as decimal strings). */
  @Column({ type: "jsonb", name: "error_args", nullable: true })
  errorArgs!: string[] | null;

  @Column({ type: "text", name: "mined_tx_hash", nullable: true })
  minedTxHash!: string | null;

  @Column({ type: "bigint", name: "mined_block", nullable: true })
  minedBlock!: string | null;

  @Column({ type: "text", nullable: true })
  resolution!: ChainIntentResolution | null;

  @CreateDateColumn({ type: "timestamptz", name: "created_at" })
  createdAt!: Date;

  @UpdateDateColumn({ type: "timestamptz", name: "updated_at" })
  updatedAt!: Date;

  @Column({ type: "timestamptz", name: "last_sent_at", nullable: true })
  lastSentAt!: Date | null;

  @Column({ type: "timestamptz", name: "finished_at", nullable: true })
  finishedAt!: Date | null;
}
