import { Inject, Injectable, Logger } from "@nestjs/common";
import { TributaryError } from "@tributary/protocol";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { Transaction } from "../database/transaction-runner.repository.js";
import { JobLeaseRepository } from "./job-lease.repository.js";

/** A transition was attempted by a replica that no longer holds the job's lease: another one drives it now. */
export class LeaseLostError extends TributaryError {
  constructor(jobId: string, node: string) {
    super("LEASE_LOST", `job ${jobId}: this replica (${node}) no longer holds its lease`, { details: { jobId, node } });
  }
}

/**
 * This replica's leases on jobs: exactly one replica drives a job's rounds at a time. Leases are claimed at every
 * driver tick for the active jobs nobody holds, renewed on a timer of their own every third of `leaseTtlS` (so a
 * long aggregation does not let them lapse), and given back at shutdown. Locally a lease counts as held until
 * `leaseTtlS` after the renewal that granted it was *sent*, less a margin: by then the database (whose clock
 * decides) cannot yet have handed it to another replica. Each round transition also checks the lease inside its
 * own transaction (`fence`), which holds the row until it commits.
 */
@Injectable()
export class JobLeases {
  readonly #logger = new Logger("leases");
  /** Held job ids → local time (ms, monotonic) until which the lease is surely still ours. */
  readonly #held = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(JobLeaseRepository) private readonly leases: JobLeaseRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  get node(): string {
    return this.config.nodeId as string;
  }

  /** Starts the renewal timer. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => {
        this.#renewing = this.#renew();
      },
      (this.config.leaseTtlS * 1000) / 3,
    );
  }

  /** Stops renewing and gives every lease back, so that another replica takes the jobs over at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    this.#held.clear();
    await this.leases.release(this.node).catch((error: Error) => {
      this.#logger.warn(`could not give the leases back (they expire in ${this.config.leaseTtlS} s): ${error.message}`);
    });
  }

  /** Claims (or renews) the leases on these active jobs; returns those this replica drives now. */
  async claim(jobIds: readonly string[]): Promise<string[]> {
    const sentAt = performance.now();
    const held = await this.leases.claim(this.node, jobIds, this.config.leaseTtlS);
    for (const jobId of held) {
      if (!this.#held.has(jobId)) this.#logger.log(`job ${jobId}: driven by this replica (${this.node}) from now on`);
      this.#held.set(jobId, this.#validUntil(sentAt));
    }
    return held;
  }

  /** Whether this replica holds the job's lease now. */
  holds(jobId: string): boolean {
    const until = this.#held.get(jobId);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.#held.delete(jobId);
    return false;
  }

  /** Inside a round transition's transaction: throws `LeaseLostError` unless this replica holds the job's lease. */
  async fence(tx: Transaction, jobId: string): Promise<void> {
    if (!(await this.leases.fence(tx, jobId, this.node))) {
      this.#held.delete(jobId);
      throw new LeaseLostError(jobId, this.node);
    }
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    const sentAt = performance.now();
    try {
      const renewed = new Set(await this.leases.renew(this.node, this.config.leaseTtlS));
      for (const jobId of [...this.#held.keys()]) {
        if (renewed.has(jobId)) this.#held.set(jobId, this.#validUntil(sentAt));
        else {
          this.#held.delete(jobId);
          this.#logger.warn(`job ${jobId}: lease lost (another replica drives it now)`);
        }
      }
    } catch (error) {
      this.#logger.warn(`lease renewal failed: ${(error as Error).message}`);
    }
  }

  /** A tenth of the lease (at least 200 ms) is kept as margin for the renewal's round trip and clock rates. */
  #validUntil(sentAt: number): number {
    const ttlMs = this.config.leaseTtlS * 1000;
    return sentAt + ttlMs - Math.max(200, ttlMs / 10);
  }
}
