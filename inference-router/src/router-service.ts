import { randomUUID } from "node:crypto";
import fastifySwagger from "@fastify/swagger";
import type { ModelRegistry, Staking } from "@tributary/contracts/typed";
import { observeFastifyRequests } from "@tributary/observability";
import type { Address } from "@tributary/protocol";
import Fastify, { type FastifyBaseLogger } from "fastify";
import type { AnnouncementTerms } from "./announcement-check.js";
import {
  type AnnouncementRateLimits,
  announcementRateLimit,
  DEFAULT_ANNOUNCEMENT_RATE_LIMITS,
} from "./announcement-rate-limit.js";
import { HealthMonitor } from "./health-monitor.js";
import { ProviderTable } from "./provider-table.js";
import { RegistryReader } from "./registry-reader.js";
import { RouterMetrics } from "./router-metrics.js";
import { registerRouterRoutes } from "./router-routes.js";
import { SlashRecord } from "./slash-record.js";

export interface RouterServiceOptions {
  readonly chainId: bigint;
  /** ModelRegistry and Staking, connected to a provider that reads the chain. */
  readonly modelRegistry: ModelRegistry;
  readonly staking: Staking;
  /** The PaymentChannels contract the providers must be paid through (lower case). */
  readonly paymentChannels: Address;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How often each provider's `/ready` is polled, in milliseconds. */
  readonly healthIntervalMs: number;
  /** How long a `/ready` (and, at admission, `/v1/model`) may take, in milliseconds. */
  readonly healthTimeoutMs: number;
  /** How often each provider's standing on chain is read again, in milliseconds. */
  readonly standingIntervalMs: number;
  /** How long a provider may take to start answering a request before the next is tried, in milliseconds. */
  readonly attemptTimeoutMs: number;
  /** Longest an announcement may be valid for, in seconds. */
  readonly maxAnnouncementTtlS: number;
  /** Connections kept open to each provider. */
  readonly connectionsPerProvider: number;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  /** Announcements examined per claimed provider and per IP in a window (default `DEFAULT_ANNOUNCEMENT_RATE_LIMITS`). */
  readonly announcementLimits?: AnnouncementRateLimits;
  /**
   * The block from which ModelRegistry's `ModelSlashed` events are followed (the deployment's start), so a listing's
   * lost disputes weigh on its score; undefined: not followed (every listing counts 0).
   */
  readonly slashesFromBlock?: number;
  /** A pino logger (`createLogger`) for request and error lines; `true`: Fastify's own; default none. */
  readonly logger?: boolean | FastifyBaseLogger;
}

/** A running router. `close()` stops taking requests, answers those in flight and closes its connections. */
export interface RouterService {
  readonly url: string;
  readonly table: ProviderTable;
  readonly monitor: HealthMonitor;
  close(): Promise<void>;
}

const unixNow = () => BigInt(Math.floor(Date.now() / 1000));

/**
 * Starts the router (Fastify, documented at `/openapi.json`): providers announce themselves signed, are checked
 * against ModelRegistry and Staking, probed and then polled for health; each paid request goes to the best-scoring
 * eligible provider the buyer offered a voucher for, and to the next on a failure or a timeout. Request bodies are
 * kept as bytes, never parsed, and answers are streamed through.
 */
export async function startRouterService(options: RouterServiceOptions): Promise<RouterService> {
  const slashes =
    options.slashesFromBlock === undefined
      ? undefined
      : new SlashRecord(options.modelRegistry, options.slashesFromBlock);
  const reader = new RegistryReader(options.modelRegistry, options.staking, slashes);
  const table = new ProviderTable();
  const metrics = new RouterMetrics(table);
  const terms: AnnouncementTerms = {
    chainId: options.chainId,
    modelRegistry: (await options.modelRegistry.getAddress()).toLowerCase() as Address,
    paymentChannels: options.paymentChannels.toLowerCase() as Address,
    maxTtlS: BigInt(options.maxAnnouncementTtlS),
    clockSkewS: 60n,
    probeTimeoutMs: options.healthTimeoutMs,
  };
  const monitor = new HealthMonitor(table, reader, {
    healthIntervalMs: options.healthIntervalMs,
    healthTimeoutMs: options.healthTimeoutMs,
    standingIntervalMs: options.standingIntervalMs,
    now: unixNow,
  });
  const state = { ready: false };
  const app = Fastify({
    ...(typeof options.logger === "object" ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
  });
  observeFastifyRequests(app, metrics.requestDuration);
  // Bodies stay bytes: a request is forwarded as it came, and an announcement is parsed with protocol's schema.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_, body, done) => done(null, body));
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(fastifySwagger, {
    openapi: { info: { title: "Tributary task router", version: "1", description: `chain ${options.chainId}` } },
  });
  const announcementLimit = await announcementRateLimit(
    app,
    options.announcementLimits ?? DEFAULT_ANNOUNCEMENT_RATE_LIMITS,
    () => metrics.announcements.inc({ outcome: "ANNOUNCEMENT_RATE_LIMITED" }),
  );
  registerRouterRoutes(app, {
    announcementLimit,
    table,
    reader,
    terms,
    metrics,
    attemptTimeoutMs: options.attemptTimeoutMs,
    connectionsPerProvider: options.connectionsPerProvider,
    now: unixNow,
    state,
  });
  const url = await app.listen({ host: options.host, port: options.port });
  monitor.start();
  // The listings' lost disputes so far, read in the background (admissions meanwhile count none; the standing checks
  // read the rest and then keep up).
  reader.updateSlashes().catch(() => {});
  state.ready = true;
  let closing: Promise<void> | undefined;
  return {
    url,
    table,
    monitor,
    close() {
      closing ??= (async () => {
        state.ready = false;
        monitor.stop();
        await app.close();
        await table.close();
      })();
      return closing;
    },
  };
}
