import type { DynamicModule } from "@nestjs/common";
import { TypeOrmModule } from "@nestjs/typeorm";
import type { DataSourceOptions } from "typeorm";
import { EMBEDDED_POOL_SIZE } from "./embedded-postgres.js";
import { InitialSchema1732900000000 } from "./migrations/1732900000000-initial-schema.js";
import { Chain1733000000000 } from "./migrations/1733000000000-chain.js";
import { ContributionLedger1733100000000 } from "./migrations/1733100000000-contribution-ledger.js";
import { Liveness1733200000000 } from "./migrations/1733200000000-liveness.js";
import { AccessControl1733250000000 } from "./migrations/1733250000000-access-control.js";
import { CommittedCounts1733300000000 } from "./migrations/1733300000000-committed-counts.js";
import { ModelMetadata1733400000000 } from "./migrations/1733400000000-model-metadata.js";
import { AttestedKeys1733500000000 } from "./migrations/1733500000000-attested-keys.js";
import { JobLeases1733600000000 } from "./migrations/1733600000000-job-leases.js";
import { JobResult1733700000000 } from "./migrations/1733700000000-job-result.js";

/** Pool size against a real PostgreSQL server. */
const POSTGRES_POOL_SIZE = 10;

/** The entity classes the data source maps (every module's, listed by the application). */
export type EntityClasses = NonNullable<DataSourceOptions["entities"]>;

/** TypeORM options: committed migrations run at start; `synchronize` stays off. */
export function dataSourceOptions(
  entities: EntityClasses,
  url: string,
  embedded: boolean,
  schema = "public",
): DataSourceOptions {
  const max = embedded ? EMBEDDED_POOL_SIZE : POSTGRES_POOL_SIZE;
  return {
    type: "postgres",
    url,
    schema,
    entities,
    migrations: [
      InitialSchema1732900000000,
      Chain1733000000000,
      ContributionLedger1733100000000,
      Liveness1733200000000,
      AccessControl1733250000000,
      CommittedCounts1733300000000,
      ModelMetadata1733400000000,
      AttestedKeys1733500000000,
      JobLeases1733600000000,
      JobResult1733700000000,
    ],
    migrationsRun: true,
    synchronize: false,
    // Raw-SQL migrations create unqualified tables: put the schema first on the search path.
    extra: schema === "public" ? { max } : { max, options: `-c search_path=${schema}` },
  };
}

/** The Nest module of the data source for these options (imported once, by `DatabaseModule.forRoot`). */
export function typeOrmRoot(options: DataSourceOptions): DynamicModule {
  return TypeOrmModule.forRoot(options);
}
