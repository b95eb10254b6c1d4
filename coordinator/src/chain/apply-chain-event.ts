import type { LogDescription } from "ethers";
import type { EntityManager } from "typeorm";

/** Where an event sits on chain: events apply in (block, logIndex) order. */
export interface EventPosition {
  readonly block: number;
  readonly logIndex: number;
  readonly txHash: string;
}

const text = (value: unknown) => String(value).toLowerCase();
const decimal = (value: unknown) => BigInt(value as bigint).toString();

/** Row update guarded by the row's last applied position, so a replayed event changes nothing. */
const NEWER = "(last_block, last_log_index) < ($2, $3)";

/**
 * Applies one decoded DatasetRegistry or TrainingJobs event to the chain tables through `manager`. Idempotent:
 * creations are inserts that ignore an existing row, updates only apply to rows whose last applied event comes
 * before this one. Returns the id of a job it created (`JobCreated` seen for the first time).
 */
export async function applyChainEvent(
  manager: EntityManager,
  event: LogDescription,
  at: EventPosition,
): Promise<{ createdJob?: string }> {
  const a = event.args;
  const position = [at.block, at.logIndex];
  switch (event.name) {
    case "DatasetRegistered":
      await manager.query(
        `INSERT INTO chain_datasets (dataset_id, owner, commitment, metadata_uri, price_per_round, epsilon, delta,
           active, registered_block, registered_tx, last_block, last_log_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9, $8, $10) ON CONFLICT (dataset_id) DO NOTHING`,
        [
          decimal(a.datasetId),
          text(a.owner),
          text(a.commitment),
          String(a.metadataURI),
          decimal(a.pricePerRound),
          decimal(a.epsilon),
          decimal(a.delta),
          at.block,
          at.txHash,
          at.logIndex,
        ],
      );
      return {};
    case "DatasetUpdated":
      await manager.query(
        `UPDATE chain_datasets SET commitment = $4, metadata_uri = $5, price_per_round = $6, epsilon = $7, delta = $8,
           last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
        [
          decimal(a.datasetId),
          ...position,
          text(a.commitment),
          String(a.metadataURI),
          decimal(a.pricePerRound),
          decimal(a.epsilon),
          decimal(a.delta),
        ],
      );
      return {};
    case "DatasetDeactivated":
      await manager.query(
        `UPDATE chain_datasets SET active = false, last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
        [decimal(a.datasetId), ...position],
      );
      return {};
    case "DatasetTransferred":
      await manager.query(
        `UPDATE chain_datasets SET owner = $4, last_block = $2, last_log_index = $3 WHERE dataset_id = $1 AND ${NEWER}`,
        [decimal(a.datasetId), ...position, text(a.newOwner)],
      );
      return {};
    case "JobCreated": {
      const rows: { job_id: string }[] = await manager.query(
        `INSERT INTO chain_jobs (job_id, researcher, coordinator, payment_token, model_spec_hash, dataset_ids, rounds,
           reward, fee_bps, status, created_block, created_tx, last_block, last_log_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $10, $12)
         ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
        [
          decimal(a.jobId),
          text(a.researcher),
          text(a.coordinator),
          text(a.paymentToken),
          text(a.modelSpecHash),
          JSON.stringify([...(a.datasetIds as bigint[])].map(decimal)),
          Number(a.rounds),
          decimal(a.reward),
          Number(a.feeBps),
          at.block,
          at.txHash,
          at.logIndex,
        ],
      );
      return rows.length === 1 ? { createdJob: decimal(a.jobId) } : {};
    }
    case "RoundAnchored":
      await manager.query(
        `INSERT INTO chain_round_anchors (job_id, round, updates_root, model_hash, block_number, tx_hash)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id, round) DO NOTHING`,
        [decimal(a.jobId), Number(a.round), text(a.updatesRoot), text(a.modelHash), at.block, at.txHash],
      );
      await manager.query(
        `UPDATE chain_jobs SET rounds_anchored = GREATEST(rounds_anchored, $4),
           status = CASE WHEN status = 'open' THEN 'running' ELSE status END, last_block = $2, last_log_index = $3
         WHERE job_id = $1 AND ${NEWER}`,
        [decimal(a.jobId), ...position, Number(a.round)],
      );
      return {};
    case "JobFinalized":
      await manager.query(
        `UPDATE chain_jobs SET status = 'finalized', payout_root = $4, payout_total = $5, fee = $6, claim_deadline = $7,
           last_block = $2, last_log_index = $3 WHERE job_id = $1 AND ${NEWER}`,
        [
          decimal(a.jobId),
          ...position,
          text(a.payoutRoot),
          decimal(a.payoutTotal),
          decimal(a.fee),
          decimal(a.claimDeadline),
        ],
      );
      return {};
    case "JobCancelled":
      await manager.query(
        `UPDATE chain_jobs SET status = 'cancelled', refund = $4, last_block = $2, last_log_index = $3
         WHERE job_id = $1 AND ${NEWER}`,
        [decimal(a.jobId), ...position, decimal(a.refund)],
      );
      // The coordinator job running it stops with it (its escrow went back to the researcher).
      await manager.query(
        `UPDATE jobs SET status = 'cancelled', error = $2, updated_at = now()
         WHERE id = $1 AND on_chain AND status IN ('running', 'evaluating')`,
        [decimal(a.jobId), `cancelled on chain (refund ${decimal(a.refund)}) in block ${position[0]}`],
      );
      return {};
    default:
      // Claims, reclaims, role and parameter events: not the indexer's business.
      return {};
  }
}
