import pg from "pg";

/**
 * A PostgreSQL session-level advisory lock (`pg_try_advisory_lock`), held on a connection of its own: exactly one
 * replica holds it, and PostgreSQL frees it the moment that replica's connection ends, however it died. Keyed by
 * `hashtext(name)`. When the connection fails, `onLost` is called and the lock counts as not held. On embedded
 * PGlite (no `url`) it is always held: an embedded database has exactly one process.
 */
export class SessionLock {
  #client: pg.Client | undefined;
  #held = false;

  constructor(
    private readonly url: string | undefined,
    private readonly name: string,
    private readonly onLost: (reason: string) => void,
  ) {}

  get held(): boolean {
    return this.#held;
  }

  /** Takes the lock if it is free; returns whether this replica holds it. */
  async tryAcquire(): Promise<boolean> {
    if (this.url === undefined) {
      this.#held = true;
      return true;
    }
    if (this.#held) return true;
    if (this.#client === undefined) {
      const client = new pg.Client({ connectionString: this.url });
      const lost = (reason: string) => {
        if (this.#client !== client) return;
        this.#client = undefined;
        const wasHeld = this.#held;
        this.#held = false;
        client.end().catch(() => undefined);
        if (wasHeld) this.onLost(reason);
      };
      client.on("error", (error) => lost(error.message));
      client.on("end", () => lost("connection closed"));
      this.#client = client;
      try {
        await client.connect();
      } catch (error) {
        this.#client = undefined;
        throw error;
      }
    }
    const { rows } = await this.#client.query<{ got: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS got", [
      this.name,
    ]);
    this.#held = rows[0]?.got === true;
    return this.#held;
  }

  /** Frees the lock and closes its connection. */
  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    if (client === undefined) return;
    await client.query("SELECT pg_advisory_unlock_all()").catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
