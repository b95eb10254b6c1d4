import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Attested trainer keys: the outbox may record an attestation on AttestationRegistry, and each participant keeps
 * the SHA-256 of the document it was admitted with and when its record expires (null for the simulator).
 */
export class AttestedKeys1733500000000 implements MigrationInterface {
  name = "AttestedKeys1733500000000";

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE chain_intents DROP CONSTRAINT chain_intents_kind_check");
    await runner.query(
      "ALTER TABLE chain_intents ADD CONSTRAINT chain_intents_kind_check CHECK (kind IN ('acceptJob', 'anchorRound', 'finalizeJob', 'recordAttestation'))",
    );
    await runner.query("ALTER TABLE participants ADD COLUMN attestation_hash text");
    await runner.query("ALTER TABLE participants ADD COLUMN attestation_expiry timestamptz");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE participants DROP COLUMN attestation_expiry");
    await runner.query("ALTER TABLE participants DROP COLUMN attestation_hash");
    await runner.query("DELETE FROM chain_intents WHERE kind = 'recordAttestation'");
    await runner.query("ALTER TABLE chain_intents DROP CONSTRAINT chain_intents_kind_check");
    await runner.query(
      "ALTER TABLE chain_intents ADD CONSTRAINT chain_intents_kind_check CHECK (kind IN ('acceptJob', 'anchorRound', 'finalizeJob'))",
    );
  }
}
