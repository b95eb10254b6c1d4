import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Access control: each job's researcher (the signed-in address that created it here, or its creator on
 * TrainingJobs), and who uploaded each validation set (a job may name only a set its researcher uploaded; the set
 * is readable by its uploader until a job scored on it is finalised).
 */
export class AccessControl1733250000000 implements MigrationInterface {
  name = "AccessControl1733250000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE jobs ADD COLUMN researcher text");
    await runner.query(`
      CREATE TABLE validation_sets (
        cid text NOT NULL,
        uploader text NOT NULL,
        uploaded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cid, uploader)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("DROP TABLE validation_sets");
    await runner.query("ALTER TABLE jobs DROP COLUMN researcher");
  }
}
