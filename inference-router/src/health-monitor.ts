import type { ProviderEntry, ProviderTable } from "./provider-table.js";
import type { RegistryReader } from "./registry-reader.js";
import { RouterRefusedError } from "./router-error.js";

export interface HealthMonitorOptions {
  /** How often each provider's `/ready` is polled, in milliseconds. */
  readonly healthIntervalMs: number;
  /** How long a provider's `/ready` may take before it counts as unhealthy, in milliseconds. */
  readonly healthTimeoutMs: number;
  /** How often each provider's standing on chain (active, provider or licensee, stake, reputation) is read again. */
  readonly standingIntervalMs: number;
  /** The unix second now. */
  readonly now: () => bigint;
  readonly log?: (line: string) => void;
}

/**
 * Keeps the table true: polls every provider's `/ready` (a provider that does not answer 200 within the interval is
 * unhealthy until it does), reads each provider's standing on ModelRegistry and Staking again (a provider whose
 * model was deactivated, whose licence or stake is gone, is not routed to until it stands again), and drops
 * expired announcements.
 */
export class HealthMonitor {
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly table: ProviderTable,
    private readonly reader: RegistryReader,
    private readonly options: HealthMonitorOptions,
  ) {}

  start(): void {
    this.#loop(this.options.healthIntervalMs, () => this.pollHealth());
    this.#loop(this.options.standingIntervalMs, () => this.checkStanding());
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
  }

  /** Polls every provider's `/ready` once. */
  async pollHealth(): Promise<void> {
    this.table.expire(this.options.now());
    await Promise.all(this.table.all().map((entry) => this.#poll(entry)));
  }

  /** Reads the listings' lost disputes since the last check, then every provider's standing on chain, once. */
  async checkStanding(): Promise<void> {
    // A failed read of the events leaves the counts as they were; the next check reads those blocks again.
    await this.reader.updateSlashes().catch((error: unknown) => {
      this.options.log?.(`reading ModelSlashed events: ${(error as Error).message}`);
    });
    await Promise.all(
      this.table.all().map(async (entry) => {
        try {
          entry.standing = await this.reader.standing(entry.announcement.modelId, entry.provider);
          if (entry.refusal !== undefined) this.options.log?.(`${entry.provider} stands again`);
          entry.refusal = undefined;
        } catch (error) {
          // A refusal excludes the provider; a failed read (the RPC) leaves it as it was.
          if (!(error instanceof RouterRefusedError)) return;
          if (entry.refusal === undefined) this.options.log?.(`${entry.provider} excluded: ${error.message}`);
          entry.refusal = error.message;
        }
      }),
    );
  }

  async #poll(entry: ProviderEntry): Promise<void> {
    const timeout = this.options.healthTimeoutMs;
    try {
      const response = await entry.pool.request({
        method: "GET",
        path: `${entry.base}/ready`,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      await response.body.dump();
      entry.healthy = response.statusCode === 200;
    } catch {
      entry.healthy = false;
    }
  }

  #loop(intervalMs: number, run: () => Promise<void>): void {
    const next = () => {
      if (this.#stopped) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        run().finally(next);
      }, intervalMs);
      timer.unref();
      this.#timers.add(timer);
    };
    next();
  }
}
