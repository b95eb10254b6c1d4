import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { Transaction } from "../database/transaction-runner.repository.js";

/**
 * Which replica drives each job (`job_leases`). Every expiry is computed by the database's clock (`now()`), the one
 * clock all replicas share, so their own clocks never decide who may take a job over.
 */
@Injectable()
export class JobLeaseRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Takes or renews, for `ttlS` seconds, the leases on these jobs that are free, expired or already `owner`'s, in
   * one statement; returns the ids of those `owner` holds now. A job another replica holds is left to it.
   */
  async claim(owner: string, jobIds: readonly string[], ttlS: number): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows: { job_id: string }[] = await this.db.query(
      `INSERT INTO job_leases (job_id, owner, expires_at)
         SELECT id, $2, now() + make_interval(secs => $3) FROM unnest($1::bigint[]) AS id
       ON CONFLICT (job_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE job_leases.owner = EXCLUDED.owner OR job_leases.expires_at < now()
       RETURNING job_id::text`,
      [jobIds, owner, ttlS],
    );
    return rows.map((row) => row.job_id);
  }

  /**
   * Pushes out the expiry of every lease still in `owner`'s name (one statement); returns their job ids. A lease
   * that expired without another replica taking it is renewed too, as `claim` would: nobody else drove the job
   * meanwhile (taking it over writes the taker's name), and `fence` refused this replica's transitions while it
   * was expired. So a replica whose renewal ran late (a busy event loop) keeps its jobs instead of dropping them.
   */
  async renew(owner: string, ttlS: number): Promise<string[]> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count], not the rows alone.
    const [rows]: [{ job_id: string }[], number] = await this.db.query(
      `UPDATE job_leases SET expires_at = now() + make_interval(secs => $2)
        WHERE owner = $1 RETURNING job_id::text`,
      [owner, ttlS],
    );
    return rows.map((row) => row.job_id);
  }

  /**
   * Inside a transaction that changes a job's rounds: whether the job's lease is in `owner`'s name. The row is then
   * held shared until the transaction ends, so no other replica can take the job over before it commits. A lease
   * that expired while nobody took it still counts (as in `renew`): no other replica drove the job meanwhile, and a
   * long aggregation that held the event loop past the lease commits instead of starting over.
   */
  async fence(tx: Transaction, jobId: string, owner: string): Promise<boolean> {
    const rows: unknown[] = await Transaction.entityManager(tx).query(
      "SELECT 1 FROM job_leases WHERE job_id = $1 AND owner = $2 FOR SHARE",
      [jobId, owner],
    );
    return rows.length === 1;
  }

  /** Gives up `owner`'s leases (a replica shutting down hands its jobs over at once). */
  async release(owner: string): Promise<void> {
    await this.db.query("DELETE FROM job_leases WHERE owner = $1", [owner]);
  }

  /** Who drives a job now, if anyone. */
  async holder(jobId: string): Promise<string | undefined> {
    const rows: { owner: string }[] = await this.db.query(
      "SELECT owner FROM job_leases WHERE job_id = $1 AND expires_at > now()",
      [jobId],
    );
    return rows[0]?.owner;
  }
}
