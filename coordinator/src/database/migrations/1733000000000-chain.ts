import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The chain client's state: the indexer's cursors, what it learnt from DatasetRegistry and TrainingJobs events,
 * and the transactional outbox of chain writes. uint256 values are stored as `numeric(78, 0)`.
 */
export class Chain1733000000000 implements MigrationInterface {
  name = "Chain1733000000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE chain_cursors (
        name text PRIMARY KEY,
        next_block bigint NOT NULL CHECK (next_block >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE chain_datasets (
        dataset_id numeric(78, 0) PRIMARY KEY,
        owner text NOT NULL,
        commitment text NOT NULL,
        metadata_uri text NOT NULL,
        price_per_round numeric(78, 0) NOT NULL,
        epsilon numeric(78, 0) NOT NULL,
        delta numeric(78, 0) NOT NULL,
        active boolean NOT NULL,
        registered_block bigint NOT NULL,
        registered_tx text NOT NULL,
        last_block bigint NOT NULL,
        last_log_index integer NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE chain_jobs (
        job_id numeric(78, 0) PRIMARY KEY,
        researcher text NOT NULL,
        coordinator text NOT NULL,
        payment_token text NOT NULL,
        model_spec_hash text NOT NULL,
        dataset_ids jsonb NOT NULL,
        rounds integer NOT NULL,
        reward numeric(78, 0) NOT NULL,
        fee_bps integer NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'running', 'finalized', 'cancelled')),
        rounds_anchored integer NOT NULL DEFAULT 0,
        payout_root text,
        payout_total numeric(78, 0),
        fee numeric(78, 0),
        claim_deadline bigint,
        refund numeric(78, 0),
        created_block bigint NOT NULL,
        created_tx text NOT NULL,
        last_block bigint NOT NULL,
        last_log_index integer NOT NULL,
        adopted_job_id bigint,
        adoption_error text
      )`);
    await runner.query(`
      CREATE TABLE chain_round_anchors (
        job_id numeric(78, 0) NOT NULL REFERENCES chain_jobs (job_id),
        round integer NOT NULL,
        updates_root text NOT NULL,
        model_hash text NOT NULL,
        block_number bigint NOT NULL,
        tx_hash text NOT NULL,
        PRIMARY KEY (job_id, round)
      )`);
    await runner.query(`
      CREATE TABLE chain_intents (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('anchorRound', 'finalizeJob')),
        dedupe_key text NOT NULL,
        args jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'sent', 'confirmed', 'failed')),
        sender text,
        nonce bigint,
        txs jsonb NOT NULL DEFAULT '[]',
        raw_tx text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        error_name text,
        error_args jsonb,
        mined_tx_hash text,
        mined_block bigint,
        resolution text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_sent_at timestamptz,
        finished_at timestamptz
      )`);
    // One live intent per effect; a failed one may be followed by a corrected one.
    await runner.query(
      `CREATE UNIQUE INDEX chain_intents_effect ON chain_intents (dedupe_key) WHERE status <> 'failed'`,
    );
    await runner.query(`CREATE INDEX chain_intents_open ON chain_intents (id) WHERE status IN ('pending', 'sent')`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ["chain_intents", "chain_round_anchors", "chain_jobs", "chain_datasets", "chain_cursors"]) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
