import type { MigrationInterface, QueryRunner } from "typeorm";

/** Model metadata documents published for ModelRegistry listings (their bytes are in the blob store). */
export class ModelMetadata1733400000000 implements MigrationInterface {
  name = "ModelMetadata1733400000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE model_metadata (
        cid text PRIMARY KEY,
        job_id numeric NOT NULL,
        model_hash text NOT NULL,
        publisher text NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("DROP TABLE model_metadata");
  }
}
