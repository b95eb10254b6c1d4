import fastifyRateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RouterRefusedError } from "./router-error.js";

/** How many announcements the router examines per source in a fixed window; the rest are refused with 429. */
export interface AnnouncementRateLimits {
  /** Announcements signed by a provider (the body's `provider`, lower case) per window. */
  readonly perProvider: number;
  /** Announcements per remote IP address (IPv6 by /64) per window, whatever they claim. */
  readonly perIp: number;
  /** The window, in milliseconds. */
  readonly windowMs: number;
}

/**
 * 10 a minute per provider (a provider renews every half of its announcement's lifetime: once in five minutes by
 * default) and 60 a minute per IP (a host running several providers, or restarting one).
 */
export const DEFAULT_ANNOUNCEMENT_RATE_LIMITS: AnnouncementRateLimits = {
  perProvider: 10,
  perIp: 60,
  windowMs: 60_000,
};

/** The announcement route's rate limit, in the order a request meets it. */
export interface AnnouncementLimit {
  /** `onRequest`: counts the remote IP, before the body is read; refuses one over the IP's limit. */
  readonly byIp: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** `preHandler`: refuses, counting nothing, an announcement whose claimed provider is at its limit already. */
  readonly providerAtLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /**
   * Once the signature is the claimed provider's, before the chain is read: counts the provider, and refuses the
   * announcement when concurrent ones took it over its limit.
   */
  readonly countProvider: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The provider an announcement's body claims to be, lower case; "" when the body names none (it is refused anyway). */
function claimedProvider(body: unknown): string {
  if (!Buffer.isBuffer(body)) return "";
  try {
    const provider = (JSON.parse(body.toString("utf8")) as { provider?: unknown } | null)?.provider;
    return typeof provider === "string" && ADDRESS.test(provider) ? provider.toLowerCase() : "";
  } catch {
    return "";
  }
}

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;
type Counted = Extract<Awaited<ReturnType<Limiter>>, { isAllowed: false }>;

/** The 429 for `counted`'s source (with `retry-after` on `reply`); `onRefused` is told first. */
function refusal(counted: Counted, by: "ip" | "provider", reply: FastifyReply, onRefused: () => void) {
  const retryAfterS = Math.max(1, counted.ttlInSeconds);
  void reply.header("retry-after", String(retryAfterS));
  onRefused();
  const from = by === "ip" ? counted.key : `provider ${counted.key}`;
  return new RouterRefusedError(
    "ANNOUNCEMENT_RATE_LIMITED",
    429,
    `too many announcements from ${from}: this router examines at most ${counted.max} per ${counted.timeWindow / 1000} s from each ${by === "ip" ? "address" : "provider"}; retry in ${retryAfterS} s`,
    { by, source: counted.key, limit: counted.max, windowMs: counted.timeWindow, retryAfterS },
  );
}

/**
 * The announcement route's rate limit: `@fastify/rate-limit`'s in-memory fixed windows, each source in an LRU. An IP
 * is counted for every announcement, before its body is read. A provider is counted only for announcements its
 * signature is on (a forger cannot use up another provider's window), but one already at its limit is refused before
 * its signature is recovered; neither is ever past the chain reads. Refusals are `ANNOUNCEMENT_RATE_LIMITED` (429,
 * `retry-after` in seconds); `onRefused` is told of those refused in the hooks (metrics; `countProvider`'s refusal is
 * thrown in the route's handler, which counts it).
 */
export async function announcementRateLimit(
  app: FastifyInstance,
  limits: AnnouncementRateLimits,
  onRefused: () => void,
): Promise<AnnouncementLimit> {
  await app.register(fastifyRateLimit, { global: false });
  const ip = app.createRateLimit({ max: limits.perIp, timeWindow: limits.windowMs });
  const provider = app.createRateLimit({
    max: limits.perProvider,
    timeWindow: limits.windowMs,
    keyGenerator: (request) => claimedProvider(request.body),
    allowList: (_, key) => key === "",
  });
  return {
    byIp: async (request, reply) => {
      const counted = await ip(request);
      if (!counted.isAllowed && counted.isExceeded) throw refusal(counted, "ip", reply, onRefused);
    },
    providerAtLimit: async (request, reply) => {
      const read = await provider(request, { increment: false });
      if (!read.isAllowed && read.remaining === 0) throw refusal(read, "provider", reply, onRefused);
    },
    countProvider: async (request, reply) => {
      const counted = await provider(request);
      // Thrown inside the route's handler, which counts the refusal itself.
      if (!counted.isAllowed && counted.isExceeded) throw refusal(counted, "provider", reply, () => {});
    },
  };
}
