import type { Address, Bytes32, ServedModelInfo, SignedProviderAnnouncement } from "@tributary/protocol";
import { Pool } from "undici";
import type { ProviderStanding } from "./registry-reader.js";

/** Weight of the newest sample in the latency EWMA. */
export const LATENCY_EWMA_ALPHA = 0.3;

/** A provider the router admitted, and what it measured of it. */
export class ProviderEntry {
  /** Whether the last `/ready` poll answered 200 and no request failed at it since. */
  healthy: boolean;
  /** Why the last check of its standing on chain refused it (it is then not routed to); undefined when it stands. */
  refusal: string | undefined;
  /** EWMA of answered requests' latency (until the first answer: the time its `/v1/model` took at admission). */
  latencyMs: number;
  inFlight = 0;
  readonly pool: Pool;
  /** The endpoint's path prefix ("" for an endpoint at the root). */
  readonly base: string;

  constructor(
    readonly announcement: SignedProviderAnnouncement,
    readonly info: ServedModelInfo,
    public standing: ProviderStanding,
    options: { readonly healthy: boolean; readonly latencyMs: number; readonly connections: number },
  ) {
    this.healthy = options.healthy;
    this.latencyMs = options.latencyMs;
    const url = new URL(announcement.endpoint);
    this.base = url.pathname.replace(/\/+$/, "");
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: 2_000,
    });
  }

  get provider(): Address {
    return this.announcement.provider;
  }

  get modelHash(): Bytes32 {
    return this.standing.modelHash;
  }

  /** Whether a request may go to it at unix second `now`: healthy, standing on chain, announcement not expired. */
  eligible(now: bigint): boolean {
    return this.healthy && this.refusal === undefined && this.announcement.expiresAt > now;
  }

  recordLatency(ms: number): void {
    this.latencyMs = LATENCY_EWMA_ALPHA * ms + (1 - LATENCY_EWMA_ALPHA) * this.latencyMs;
  }
}

/** The providers the router admitted, by the hash of the weights they serve, one entry per provider. */
export class ProviderTable {
  readonly #byHash = new Map<Bytes32, Map<Address, ProviderEntry>>();

  /**
   * Adds `entry`, replacing the provider's earlier entry for the same weights (whose pool is closed once its requests
   * are answered); a renewal at the same endpoint keeps the latency measured so far.
   */
  admit(entry: ProviderEntry): void {
    let providers = this.#byHash.get(entry.modelHash);
    if (providers === undefined) {
      providers = new Map();
      this.#byHash.set(entry.modelHash, providers);
    }
    const earlier = providers.get(entry.provider);
    if (earlier?.announcement.endpoint === entry.announcement.endpoint) entry.latencyMs = earlier.latencyMs;
    providers.set(entry.provider, entry);
    if (earlier !== undefined && earlier !== entry) void earlier.pool.close().catch(() => {});
  }

  /** The providers of the weights `modelHash`, healthy or not. */
  forModel(modelHash: Bytes32): ProviderEntry[] {
    return [...(this.#byHash.get(modelHash)?.values() ?? [])];
  }

  all(): ProviderEntry[] {
    return [...this.#byHash.values()].flatMap((providers) => [...providers.values()]);
  }

  /** Drops the entries whose announcement expired before `now`. */
  expire(now: bigint): void {
    for (const [hash, providers] of this.#byHash) {
      for (const [provider, entry] of providers) {
        if (entry.announcement.expiresAt > now) continue;
        providers.delete(provider);
        void entry.pool.close().catch(() => {});
      }
      if (providers.size === 0) this.#byHash.delete(hash);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((entry) => entry.pool.destroy().catch(() => {})));
    this.#byHash.clear();
  }
}
