import type { MigrationInterface, QueryRunner } from "typeorm";

/** The model a completed job returns (best on the validation set, or last) and the last beside it (`jobs.result`). */
export class JobResult1733700000000 implements MigrationInterface {
  name = "JobResult1733700000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE jobs ADD COLUMN result jsonb");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE jobs DROP COLUMN result");
  }
}
