import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource, EntityManager } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";
import { ChainCursorEntity } from "./chain-cursor.entity.js";

/** Where an event sits on chain: events apply in (block, logIndex) order. */
export interface EventPosition {
  readonly block: number;
  readonly logIndex: number;
  readonly txHash: string;
}

/** Row update guarded by the row's last applied position, so a replayed event changes nothing. */
const NEWER = "(last_block, last_log_index) < ($2, $3)";

/**
 * What the indexer writes: its cursor (`chain_cursors`) and the rows the contracts' events produce in
 * `chain_datasets`, `chain_jobs` and `chain_round_anchors`. Every event write takes the range's transaction and
 * is idempotent: creations are inserts that ignore an existing row, updates only apply to rows whose last applied
 * event comes before this one.
 */
@Injectable()
export class ChainIndexRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The cursor's next block, created at `startBlock` if the cursor does not exist yet. */
  async nextBlock(name: string, startBlock: number): Promise<number> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(ChainCursorEntity)
      .values({ name, nextBlock: String(startBlock) })
      .orIgnore()
      .execute();
    const cursor = await this.db.getRepository(ChainCursorEntity).findOneByOrFail({ name });
    return Number(cursor.nextBlock);
  }

  /** Moves the cursor from `from` to `to + 1`; false when another indexer moved it first. */
  async advanceCursor(tx: Transaction, name: string, from: number, to: number): Promise<boolean> {
    const moved = await m(tx).update(
      ChainCursorEntity,
      { name, nextBlock: String(from) },
      { nextBlock: String(to + 1) },
    );
    return moved.affected === 1;
  }

  async registerDataset(
    tx: Transaction,
    at: EventPosition,
    row: {
      datasetId: string;
      owner: string;
      commitment: string;
      metadataURI: string;
      pricePerRound: string;
      epsilon: string;
      delta: string;
    },
  ): Promise<void> {
    await m(tx).query(
      `INSERT INTO chain_datasets (dataset_id, owner, commitment, metadata_uri, price_per_round, epsilon, delta,
         active, registered_block, registered_tx, last_block, last_log_index)
       VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9, $8, $10) ON CONFLICT (dataset_id) DO NOTHING`,
      [
        row.datasetId,
        row.owner,
        row.commitment,
        row.metadataURI,
        row.pricePerRound,
        row.epsilon,
        row.delta,
        at.block,
        at.txHash,
        at.logIndex,
      ],
    );
  }

  async updateDataset(
    tx: Transaction,
    at: EventPosition,
    row: {
      datasetId: string;
      commitment: string;
      metadataURI: string;
      pricePerRound: string;
      epsilon: string;
      delta: string;
    },
  ): Promise<void> {
    await m(tx).query(
      `UPDATE chain_datasets SET commitment = $4, metadata_uri = $5, price_per_round = $6, epsilon = $7, delta = $8,
         last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
      [
        row.datasetId,
        at.block,
        at.logIndex,
        row.commitment,
        row.metadataURI,
        row.pricePerRound,
        row.epsilon,
        row.delta,
      ],
    );
  }

  async deactivateDataset(tx: Transaction, at: EventPosition, datasetId: string): Promise<void> {
    await m(tx).query(
      `UPDATE chain_datasets SET active = false, last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
      [datasetId, at.block, at.logIndex],
    );
  }

  async transferDataset(tx: Transaction, at: EventPosition, datasetId: string, newOwner: string): Promise<void> {
    await m(tx).query(
      `UPDATE chain_datasets SET owner = $4, last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
      [datasetId, at.block, at.logIndex, newOwner],
    );
  }

  /** Records a created job; returns whether it is new (not seen before). */
  async createJob(
    tx: Transaction,
    at: EventPosition,
    row: {
      jobId: string;
      researcher: string;
      coordinator: string;
      paymentToken: string;
      modelSpecHash: string;
      datasetIds: readonly string[];
      rounds: number;
      reward: string;
      feeBps: number;
    },
  ): Promise<boolean> {
    const rows: { job_id: string }[] = await m(tx).query(
      `INSERT INTO chain_jobs (job_id, researcher, coordinator, payment_token, model_spec_hash, dataset_ids, rounds,
         reward, fee_bps, status, created_block, created_tx, last_block, last_log_index)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $10, $12)
       ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
      [
        row.jobId,
        row.researcher,
        row.coordinator,
        row.paymentToken,
        row.modelSpecHash,
        JSON.stringify(row.datasetIds),
        row.rounds,
        row.reward,
        row.feeBps,
        at.block,
        at.txHash,
        at.logIndex,
      ],
    );
    return rows.length === 1;
  }

  /** Records the coordinator's acceptance (`JobAccepted`) and when the job becomes stale if nothing else happens. */
  async acceptJob(
    tx: Transaction,
    at: EventPosition,
    row: { jobId: string; coordinator: string; staleAt: string },
  ): Promise<void> {
    await m(tx).query(
      `UPDATE chain_jobs SET accepted_block = $2, stale_at = $4, last_block = $2, last_log_index = $3
       WHERE job_id = $1 AND ${NEWER}`,
      [row.jobId, at.block, at.logIndex, row.staleAt],
    );
  }

  async anchorRound(
    tx: Transaction,
    at: EventPosition,
    row: { jobId: string; round: number; updatesRoot: string; modelHash: string },
  ): Promise<void> {
    await m(tx).query(
      `INSERT INTO chain_round_anchors (job_id, round, updates_root, model_hash, block_number, tx_hash)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id, round) DO NOTHING`,
      [row.jobId, row.round, row.updatesRoot, row.modelHash, at.block, at.txHash],
    );
    await m(tx).query(
      `UPDATE chain_jobs SET rounds_anchored = GREATEST(rounds_anchored, $4),
         status = CASE WHEN status = 'open' THEN 'running' ELSE status END, last_block = $2, last_log_index = $3
       WHERE job_id = $1 AND ${NEWER}`,
      [row.jobId, at.block, at.logIndex, row.round],
    );
  }

  async finalizeJob(
    tx: Transaction,
    at: EventPosition,
    row: { jobId: string; payoutRoot: string; payoutTotal: string; fee: string; claimDeadline: string },
  ): Promise<void> {
    await m(tx).query(
      `UPDATE chain_jobs SET status = 'finalized', payout_root = $4, payout_total = $5, fee = $6, claim_deadline = $7,
         last_block = $2, last_log_index = $3 WHERE job_id = $1 AND ${NEWER}`,
      [row.jobId, at.block, at.logIndex, row.payoutRoot, row.payoutTotal, row.fee, row.claimDeadline],
    );
  }

  /**
   * Records the cancellation, and stops the coordinator job running it (its escrow went back to the researcher):
   * the `jobs` row is written here, in the range's transaction, by plain SQL, so that the chain module needs
   * nothing from the jobs module.
   */
  async cancelJob(tx: Transaction, at: EventPosition, row: { jobId: string; refund: string }): Promise<void> {
    await m(tx).query(
      `UPDATE chain_jobs SET status = 'cancelled', refund = $4, last_block = $2, last_log_index = $3
       WHERE job_id = $1 AND ${NEWER}`,
      [row.jobId, at.block, at.logIndex, row.refund],
    );
    await m(tx).query(
      `UPDATE jobs SET status = 'cancelled', error = $2, updated_at = now()
       WHERE id = $1 AND on_chain AND status IN ('running', 'evaluating')`,
      [row.jobId, `cancelled on chain (refund ${row.refund}) in block ${at.block}`],
    );
  }
}

function m(tx: Transaction): EntityManager {
  return Transaction.entityManager(tx);
}
