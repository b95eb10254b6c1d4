import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The contribution ledger: each accepted update's score (fixed point, 1e18 = the whole round) and whether the
 * aggregation rule left it out, each round's Merkle root over its leaves and what scoring cost, and per job
 * whether it runs an on-chain job and the payouts posted when it ended. A trainer's dataset is now enrolled either
 * with the coordinator (`datasets`) or on DatasetRegistry (`chain_datasets`), so the foreign keys to `datasets`
 * go; the login checks the dataset in both.
 */
export class ContributionLedger1733100000000 implements MigrationInterface {
  name = "ContributionLedger1733100000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE updates
        ADD COLUMN score numeric(78, 0) CHECK (score >= 0),
        ADD COLUMN rejected boolean NOT NULL DEFAULT false`);
    await runner.query(`
      ALTER TABLE rounds
        ADD COLUMN updates_root text,
        ADD COLUMN scoring jsonb`);
    await runner.query(`
      ALTER TABLE jobs
        ADD COLUMN on_chain boolean NOT NULL DEFAULT false,
        ADD COLUMN payout jsonb`);
    await runner.query("ALTER TABLE trainers DROP CONSTRAINT trainers_dataset_id_fkey");
    await runner.query("ALTER TABLE participants DROP CONSTRAINT participants_dataset_id_fkey");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      "ALTER TABLE participants ADD CONSTRAINT participants_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES datasets (id)",
    );
    await runner.query(
      "ALTER TABLE trainers ADD CONSTRAINT trainers_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES datasets (id)",
    );
    await runner.query("ALTER TABLE jobs DROP COLUMN payout, DROP COLUMN on_chain");
    await runner.query("ALTER TABLE rounds DROP COLUMN scoring, DROP COLUMN updates_root");
    await runner.query("ALTER TABLE updates DROP COLUMN rejected, DROP COLUMN score");
  }
}
