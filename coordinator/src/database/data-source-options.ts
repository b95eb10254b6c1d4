import type { DataSourceOptions } from "typeorm";
import { ChainCursorEntity } from "../chain/chain-cursor.entity.js";
import { ChainDatasetEntity } from "../chain/chain-dataset.entity.js";
import { ChainIntentEntity } from "../chain/chain-intent.entity.js";
import { ChainJobEntity } from "../chain/chain-job.entity.js";
import { ChainRoundAnchorEntity } from "../chain/chain-round-anchor.entity.js";
import { DatasetEntity } from "../datasets/dataset.entity.js";
import { JobEntity } from "../jobs/job.entity.js";
import { ModelEntity } from "../models/model.entity.js";
import { AssignmentEntity } from "../rounds/assignment.entity.js";
import { RoundEntity } from "../rounds/round.entity.js";
import { UpdateEntity } from "../rounds/update.entity.js";
import { ParticipantEntity } from "../trainers/participant.entity.js";
import { TrainerEntity } from "../trainers/trainer.entity.js";
import { EMBEDDED_POOL_SIZE } from "./embedded-postgres.js";
import { InitialSchema1732900000000 } from "./migrations/1732900000000-initial-schema.js";
import { Chain1733000000000 } from "./migrations/1733000000000-chain.js";
import { ContributionLedger1733100000000 } from "./migrations/1733100000000-contribution-ledger.js";

export const ENTITIES = [
  DatasetEntity,
  TrainerEntity,
  ParticipantEntity,
  JobEntity,
  RoundEntity,
  AssignmentEntity,
  UpdateEntity,
  ModelEntity,
  ChainCursorEntity,
  ChainDatasetEntity,
  ChainJobEntity,
  ChainRoundAnchorEntity,
  ChainIntentEntity,
];

/** Pool size against a real PostgreSQL server. */
const POSTGRES_POOL_SIZE = 10;

/** TypeORM options: committed migrations run at start; `synchronize` stays off. */
export function dataSourceOptions(url: string, embedded: boolean, schema = "public"): DataSourceOptions {
  const max = embedded ? EMBEDDED_POOL_SIZE : POSTGRES_POOL_SIZE;
  return {
    type: "postgres",
    url,
    schema,
    entities: ENTITIES,
    migrations: [InitialSchema1732900000000, Chain1733000000000, ContributionLedger1733100000000],
    migrationsRun: true,
    synchronize: false,
    // Raw-SQL migrations create unqualified tables: put the schema first on the search path.
    extra: schema === "public" ? { max } : { max, options: `-c search_path=${schema}` },
  };
}
