import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Liveness and acceptance: how many times a round's deadline was extended (a round fails the job after
 * `maxDeadlineExtensions`), why a job is not moving (`jobs.status_message`, e.g. too few trainers online to start),
 * and when the coordinator's `acceptJob` was confirmed on chain (`JobAccepted`: its block and the `staleAt` it
 * reports, from which the researcher may cancel if nothing else happens). The outbox takes a third intent kind,
 * `acceptJob`.
 */
export class Liveness1733200000000 implements MigrationInterface {
  name = "Liveness1733200000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE chain_intents DROP CONSTRAINT chain_intents_kind_check");
    await runner.query(
      "ALTER TABLE chain_intents ADD CONSTRAINT chain_intents_kind_check CHECK (kind IN ('acceptJob', 'anchorRound', 'finalizeJob'))",
    );
    await runner.query("ALTER TABLE rounds ADD COLUMN extensions integer NOT NULL DEFAULT 0");
    await runner.query("ALTER TABLE jobs ADD COLUMN status_message text");
    await runner.query(`
      ALTER TABLE chain_jobs
        ADD COLUMN accepted_block bigint,
        ADD COLUMN stale_at numeric(78, 0)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE chain_jobs DROP COLUMN stale_at, DROP COLUMN accepted_block");
    await runner.query("ALTER TABLE jobs DROP COLUMN status_message");
    await runner.query("ALTER TABLE rounds DROP COLUMN extensions");
    await runner.query("DELETE FROM chain_intents WHERE kind = 'acceptJob'");
    await runner.query("ALTER TABLE chain_intents DROP CONSTRAINT chain_intents_kind_check");
    await runner.query(
      "ALTER TABLE chain_intents ADD CONSTRAINT chain_intents_kind_check CHECK (kind IN ('anchorRound', 'finalizeJob'))",
    );
  }
}
