import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * Connections the TypeORM pool opens to the embedded server: one. PGlite has a single session, and
 * pglite-socket interleaves the extended-protocol messages of concurrent connections (seen here: "bind message
 * supplies 2 parameters, but prepared statement requires 1"), so every query goes through one connection and the
 * pool serialises them. The server accepts a few more for tools.
 */
export const EMBEDDED_POOL_SIZE = 1;

export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Postgres in WASM (PGlite) with its data directory on disk, served on 127.0.0.1 over the Postgres wire protocol
 * so the ordinary `pg` driver and TypeORM connect to it exactly as to a real server. One transaction runs at a
 * time on PGlite's single session: correct, but serial.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, "pgdata");
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: EMBEDDED_POOL_SIZE + 3 });
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(":").at(-1));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
