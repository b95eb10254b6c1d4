import { DataSource } from "typeorm";
import { dataSourceOptions } from "../src/database/data-source-options.js";
import { startEmbeddedPostgres } from "../src/database/embedded-postgres.js";
import { ENTITIES } from "../src/entities.js";
import type { TestDatabase } from "./databases.js";

export interface OpenDatabase {
  readonly dataSource: DataSource;
  /** Closes the connections (and the embedded server): what a coordinator's death does to the database. */
  close(): Promise<void>;
}

/**
 * The coordinator's database for a test database (migrations run), without the rest of the application: PGlite
 * from `db.dataDir` or the PostgreSQL schema. Opening it again after `close()` sees the same state.
 */
export async function openDatabase(db: TestDatabase): Promise<OpenDatabase> {
  const url = db.config.databaseUrl;
  const embedded = url === undefined ? await startEmbeddedPostgres(db.dataDir) : undefined;
  const dataSource = new DataSource(
    dataSourceOptions(ENTITIES, url ?? (embedded?.url as string), embedded !== undefined, db.config.databaseSchema),
  );
  await dataSource.initialize();
  return {
    dataSource,
    async close() {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
