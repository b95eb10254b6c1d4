import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

/** Where the PostgreSQL tests connect (these machines and CI run PostgreSQL at 127.0.0.1:5432, trust auth). */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly dataDir: string;
  /** Coordinator configuration for this database: nothing for PGlite, URL and schema for PostgreSQL. */
  readonly config: { readonly databaseUrl?: string; readonly databaseSchema?: string };
  /** The same as environment variables, for a coordinator started as a process. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "tributary-coordinator-"));
}

/** Every suite that touches the database runs once on embedded PGlite and once on real PostgreSQL. */
export const DATABASES: { name: "pglite" | "postgresql"; setup(): Promise<TestDatabase> }[] = [
  {
    name: "pglite",
    async setup() {
      const dataDir = await tempDir();
      return { dataDir, config: {}, env: {}, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: "postgresql",
    async setup() {
      const dataDir = await tempDir();
      const schema = `t_${randomBytes(6).toString("hex")}`;
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.end();
      return {
        dataDir,
        config: { databaseUrl: TEST_POSTGRES_URL, databaseSchema: schema },
        env: { DATABASE_URL: TEST_POSTGRES_URL, TRIBUTARY_DB_SCHEMA: schema },
        async cleanup() {
          const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
          await admin.connect();
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];
