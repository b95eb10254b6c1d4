import { Logger } from "@nestjs/common";
import { beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../blobs/blob-store.js";
import type { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import type { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import type { ChainJobRepository } from "../chain/chain-job.repository.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import type { JobEntity } from "../jobs/job.entity.js";
import type { JobRepository } from "../jobs/job.repository.js";
import type { ModelRepository } from "../models/model.repository.js";
import { AssignmentEntity } from "./assignment.entity.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { RoundEntity } from "./round.entity.js";
import { RoundRepository } from "./round.repository.js";
import { RoundsService } from "./rounds.service.js";
import type { SecAggRounds } from "./secagg-rounds.js";
import type { UpdateRepository } from "./update.repository.js";
import type { ValidationEvaluators } from "./validation-evaluators.js";

/** PostgreSQL refuses a statement with more than 65,535 bind parameters; an assignment row binds 8. */
const MAX_ROWS_PER_STATEMENT = Math.floor(65_535 / 8);

beforeAll(() => Logger.overrideLogger(false));

describe("RoundsService.open", () => {
  it("assigns 2,500 trainers with distinct nonces in a few statements, each within PostgreSQL's parameter limit", async () => {
    const inserts: { entity: unknown; rows: Record<string, unknown>[] }[] = [];
    const manager = {
      insert: async (entity: unknown, values: Record<string, unknown> | Record<string, unknown>[]) => {
        inserts.push({ entity, rows: Array.isArray(values) ? values : [values] });
      },
    };
    const db = { transaction: async (work: (m: typeof manager) => Promise<void>) => work(manager) };
    const rounds = new RoundsService(
      new TransactionRunner(db as never),
      new RoundRepository(db as never),
      new AssignmentRepository(db as never),
      {} as UpdateRepository,
      {} as JobRepository,
      {} as ModelRepository,
      {} as ChainJobRepository,
      {} as ChainIntentRepository,
      {} as BlobStore,
      {} as ValidationEvaluators,
      {} as ChainDatasetRepository,
      {} as SecAggRounds,
    );
    const trainers = Array.from({ length: 2500 }, (_, index) => `0x${index.toString(16).padStart(40, "0")}`);
    const job = { id: "3", round: 4, modelCid: "bafy", spec: { roundTimeoutS: 60 } } as unknown as JobEntity;

    await rounds.open(job, "train", trainers);

    expect(inserts.filter((insert) => insert.entity === RoundEntity)).toHaveLength(1);
    const assignments = inserts.filter((insert) => insert.entity === AssignmentEntity);
    // One statement per trainer was the bug: opening a 1,000-trainer round took over a second on PGlite.
    expect(assignments.length).toBeLessThanOrEqual(5);
    for (const statement of assignments) expect(statement.rows.length).toBeLessThanOrEqual(MAX_ROWS_PER_STATEMENT);
    const rows = assignments.flatMap((statement) => statement.rows);
    expect(rows.map((row) => row.trainer)).toEqual(trainers);
    expect(new Set(rows.map((row) => row.nonce)).size).toBe(trainers.length);
    for (const row of rows) {
      expect(row).toMatchObject({ jobId: "3", round: 4, status: "pending" });
      expect(row.nonce).toMatch(/^0x[0-9a-f]{64}$/);
    }
  });
});
