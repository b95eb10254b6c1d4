import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Counts from commitments: every count column becomes 64-bit (`int4` refused counts above 2^31 with an internal
 * error); the manifest each dataset's trainer uploads, checked against the dataset's commitment, with its record
 * count (`dataset_manifests`); and each participant's committed record count, copied at admission, which caps
 * the `numExamples` its updates may claim.
 */
export class CommittedCounts1733300000000 implements MigrationInterface {
  name = "CommittedCounts1733300000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE updates ALTER COLUMN num_examples TYPE bigint");
    await runner.query("ALTER TABLE assignments ALTER COLUMN eval_examples TYPE bigint");
    await runner.query("ALTER TABLE datasets ALTER COLUMN record_count TYPE bigint");
    await runner.query(`
      CREATE TABLE dataset_manifests (
        dataset_id bigint PRIMARY KEY,
        commitment text NOT NULL,
        record_count bigint NOT NULL CHECK (record_count >= 0),
        manifest jsonb NOT NULL,
        received_at timestamptz NOT NULL
      )`);
    await runner.query("ALTER TABLE participants ADD COLUMN record_count bigint CHECK (record_count >= 0)");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE participants DROP COLUMN record_count");
    await runner.query("DROP TABLE dataset_manifests");
    await runner.query("ALTER TABLE datasets ALTER COLUMN record_count TYPE integer");
    await runner.query("ALTER TABLE assignments ALTER COLUMN eval_examples TYPE integer");
    await runner.query("ALTER TABLE updates ALTER COLUMN num_examples TYPE integer");
  }
}
