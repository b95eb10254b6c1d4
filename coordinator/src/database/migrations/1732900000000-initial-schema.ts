import type { MigrationInterface, QueryRunner } from "typeorm";

/** Datasets, trainers, jobs, rounds, assignments, updates and models. */
export class InitialSchema1732900000000 implements MigrationInterface {
  name = "InitialSchema1732900000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE datasets (
        id bigserial PRIMARY KEY,
        owner text NOT NULL,
        name text NOT NULL,
        commitment text NOT NULL,
        metadata_uri text,
        record_count integer NOT NULL CHECK (record_count > 0),
        epsilon_budget double precision NOT NULL CHECK (epsilon_budget > 0),
        delta_budget double precision NOT NULL CHECK (delta_budget > 0 AND delta_budget < 1),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE trainers (
        address text PRIMARY KEY,
        dataset_id bigint NOT NULL REFERENCES datasets (id),
        last_seen_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE jobs (
        id bigserial PRIMARY KEY,
        spec jsonb NOT NULL,
        layout jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'evaluating', 'completed', 'cancelled', 'failed')),
        round integer NOT NULL CHECK (round >= 0),
        model_cid text NOT NULL,
        optimizer_state_cid text,
        final_metrics jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('running', 'evaluating')`);
    await runner.query(`
      CREATE TABLE participants (
        job_id bigint NOT NULL REFERENCES jobs (id),
        trainer text NOT NULL REFERENCES trainers (address),
        dataset_id bigint NOT NULL REFERENCES datasets (id),
        tee_kind text NOT NULL,
        simulated boolean NOT NULL,
        measurement text NOT NULL,
        attested_at timestamptz NOT NULL,
        PRIMARY KEY (job_id, trainer)
      )`);
    await runner.query(`
      CREATE TABLE rounds (
        job_id bigint NOT NULL REFERENCES jobs (id),
        round integer NOT NULL,
        status text NOT NULL CHECK (status IN ('collecting', 'aggregating', 'done', 'failed')),
        kind text NOT NULL CHECK (kind IN ('train', 'evaluate')),
        input_model_cid text NOT NULL,
        output_model_cid text,
        deadline timestamptz NOT NULL,
        metrics jsonb,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        PRIMARY KEY (job_id, round)
      )`);
    await runner.query(`
      CREATE TABLE assignments (
        job_id bigint NOT NULL,
        round integer NOT NULL,
        trainer text NOT NULL,
        nonce text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('pending', 'submitted', 'refused', 'evaluated', 'dropped')),
        reason text,
        eval_metrics jsonb,
        eval_examples integer,
        PRIMARY KEY (job_id, round, trainer),
        FOREIGN KEY (job_id, round) REFERENCES rounds (job_id, round)
      )`);
    await runner.query(`
      CREATE TABLE updates (
        job_id bigint NOT NULL,
        round integer NOT NULL,
        trainer text NOT NULL,
        dataset_id bigint NOT NULL,
        num_examples integer NOT NULL CHECK (num_examples > 0),
        update_hash text NOT NULL,
        cid text NOT NULL,
        metrics jsonb NOT NULL,
        epsilon_spent double precision,
        delta double precision NOT NULL,
        nonce text NOT NULL UNIQUE,
        signature text NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (job_id, round, trainer),
        FOREIGN KEY (job_id, round, trainer) REFERENCES assignments (job_id, round, trainer)
      )`);
    await runner.query(`
      CREATE TABLE models (
        cid text PRIMARY KEY,
        job_id bigint NOT NULL REFERENCES jobs (id),
        round integer NOT NULL,
        sha256 text NOT NULL,
        byte_length integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      "models",
      "updates",
      "assignments",
      "rounds",
      "participants",
      "jobs",
      "trainers",
      "datasets",
    ]) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
