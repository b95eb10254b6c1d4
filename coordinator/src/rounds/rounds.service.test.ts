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
import { AssignmentRepository } from "./assignment.repository.js";
import type { RootUpdates } from "./root-updates.js";
import { RoundEntity } from "./round.entity.js";
import { RoundRepository } from "./round.repository.js";
import { RoundsService } from "./rounds.service.js";
import type { SecAggRounds } from "./secagg-rounds.js";
import type { UpdateRepository } from "./update.repository.js";
import type { ValidationEvaluators } from "./validation-evaluators.js";

/** PostgreSQL refuses a statement with more than 65,535 bind parameters. */
const MAX_PARAMETERS = 65_535;

beforeAll(() => Logger.overrideLogger(false));

describe("RoundsService.open", () => {
  it("assigns 2,500 trainers with distinct nonces in one statement, within PostgreSQL's parameter limit", async () => {
    const inserts: { entity: unknown; rows: Record<string, unknown>[] }[] = [];
    const statements: { sql: string; parameters: unknown[] }[] = [];
    // Records what the repositories send (no database: what is checked is the statements' shape and values).
    const manager = {
      insert: async (entity: unknown, values: Record<string, unknown> | Record<string, unknown>[]) => {
        inserts.push({ entity, rows: Array.isArray(values) ? values : [values] });
      },
      query: async (sql: string, parameters: unknown[]) => {
        statements.push({ sql, parameters });
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
      {} as RootUpdates,
    );
    const trainers = Array.from({ length: 2500 }, (_, index) => `0x${index.toString(16).padStart(40, "0")}`);
    const job = { id: "3", round: 4, modelCid: "bafy", spec: { roundTimeoutS: 60 } } as unknown as JobEntity;

    const { assignments } = await rounds.open(job, "train", trainers);

    expect(inserts.filter((insert) => insert.entity === RoundEntity)).toHaveLength(1);
    // One statement per trainer was the bug: opening a 1,000-trainer round took over a second on PGlite. Now one
    // INSERT … unnest whatever the number: one array parameter per column.
    const assigning = statements.filter((statement) => /INSERT INTO assignments/.test(statement.sql));
    expect(assigning).toHaveLength(1);
    const [statement] = assigning as [(typeof assigning)[number]];
    expect(statement.parameters.length).toBeLessThanOrEqual(MAX_PARAMETERS);
    const [jobId, round, trainerColumn, nonceColumn] = statement.parameters as [string, number, string[], string[]];
    expect([jobId, round]).toEqual(["3", 4]);
    expect(trainerColumn).toEqual(trainers);
    expect(new Set(nonceColumn).size).toBe(trainers.length);
    for (const nonce of nonceColumn) expect(nonce).toMatch(/^0x[0-9a-f]{64}$/);
    // What the round's instructions are sent from: the rows as written, each trainer with its own nonce.
    expect(assignments.map((row) => [row.trainer, row.nonce])).toEqual(
      trainers.map((trainer, index) => [trainer, nonceColumn[index]]),
    );
    for (const row of assignments) expect(row).toMatchObject({ jobId: "3", round: 4, status: "pending" });
  });
});
