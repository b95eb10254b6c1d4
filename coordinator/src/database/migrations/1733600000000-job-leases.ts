import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Scale-out: which replica drives each job's rounds (`job_leases`), until when. A replica renews its leases; once
 * one has expired (by the database's clock) another replica may take the job over.
 */
export class JobLeases1733600000000 implements MigrationInterface {
  name = "JobLeases1733600000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      "CREATE TABLE job_leases (job_id bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE, owner text NOT NULL, expires_at timestamptz NOT NULL)",
    );
    await runner.query("CREATE INDEX job_leases_owner ON job_leases (owner)");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("DROP TABLE job_leases");
  }
}
