import {
  ANSWERED_BY_HEADER,
  AnnouncementAdmittedSchema,
  ATTEMPTS_HEADER,
  InvalidInputError,
  PAYMENTS_HEADER,
  PredictQuerySchema,
  ProviderErrorSchema,
  parseInput,
  parsePaymentsHeader,
  RoutedModelSchema,
  SignedProviderAnnouncementSchema,
  type TributaryError,
  Uint256Schema,
} from "@tributary/protocol";
import type { FastifyError, FastifyInstance } from "fastify";
import { z } from "zod";
import { type AnnouncementTerms, checkAnnouncement } from "./announcement-check.js";
import type { AnnouncementLimit } from "./announcement-rate-limit.js";
import { type RouteWeights, scoreProviders, weightsOfQuery } from "./provider-score.js";
import { ProviderEntry, type ProviderTable } from "./provider-table.js";
import type { RegistryReader } from "./registry-reader.js";
import { forwardRequest } from "./request-forwarder.js";
import { RouterRefusedError } from "./router-error.js";
import type { RouterMetrics } from "./router-metrics.js";

export interface RouterRouteDeps {
  readonly table: ProviderTable;
  readonly reader: RegistryReader;
  readonly terms: AnnouncementTerms;
  readonly metrics: RouterMetrics;
  readonly attemptTimeoutMs: number;
  /** Connections the router keeps open to each provider. */
  readonly connectionsPerProvider: number;
  /** The unix second now. */
  readonly now: () => bigint;
  readonly state: { ready: boolean };
  /** The announcement route's rate limit, by remote IP and by provider. */
  readonly announcementLimit: AnnouncementLimit;
}

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
const errorSchema = json(ProviderErrorSchema);
const ModelPathSchema = z.strictObject({ modelId: Uint256Schema });

function statusOf(error: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (error instanceof RouterRefusedError) return { status: error.status, ...plain(error) };
  if (error instanceof InvalidInputError) return { status: 400, ...plain(error) };
  const fastify = error as FastifyError;
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "BODY_TOO_LARGE", message: "the request body is larger than this router takes" };
  }
  if (fastify.statusCode !== undefined && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, code: fastify.code ?? "BAD_REQUEST", message: fastify.message };
  }
  return { status: 500, code: "INTERNAL", message: "the router failed" };
}

function plain(error: TributaryError) {
  return { code: error.code, message: error.message, details: error.details };
}

/**
 * The entries with their scores, in the order the router tries them: best score first; ties to the cheaper, the
 * faster, then by address.
 */
export function rankProviders(
  entries: readonly ProviderEntry[],
  weights: RouteWeights,
): { entry: ProviderEntry; score: number }[] {
  const scores = scoreProviders(
    entries.map((entry) => ({
      price: BigInt(entry.info.pricePerExample),
      latencyMs: entry.latencyMs,
      inFlight: entry.inFlight,
      reputation: entry.standing.reputation,
      slashes: entry.standing.slashes,
    })),
    weights,
  );
  const order = entries.map((entry, index) => ({ entry, score: scores[index] as number }));
  order.sort(
    (a, b) =>
      b.score - a.score ||
      Number(BigInt(a.entry.info.pricePerExample) - BigInt(b.entry.info.pricePerExample)) ||
      a.entry.latencyMs - b.entry.latencyMs ||
      (a.entry.provider < b.entry.provider ? -1 : 1),
  );
  return order;
}

/**
 * The router's routes: `POST /v1/announcements` (a provider's signed announcement is its owner check, in
 * `checkAnnouncement`, within the rate limit by IP and by provider), `GET /v1/models/:modelId/providers` and
 * `POST /v1/models/:modelId/predict` (paid: the vouchers are checked by the provider each goes to), and the public
 * `/health`, `/ready`, `/metrics`, `/openapi.json`. Every refusal is `{error: {code, message, details}}`.
 */
export function registerRouterRoutes(app: FastifyInstance, deps: RouterRouteDeps): void {
  const { table, reader, terms, metrics, now, state } = deps;

  app.setErrorHandler((error, request, reply) => {
    const { status, code, message, details } = statusOf(error);
    if (status === 500) request.log.error({ err: error }, "router failed");
    void reply.status(status).send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
  });

  app.get("/health", { schema: { summary: "Liveness: the process answers" } }, async () => ({ status: "ok" }));
  app.get("/ready", { schema: { summary: "Readiness: the router is not closing" } }, async (_, reply) =>
    state.ready ? { ready: true } : reply.status(503).send({ ready: false }),
  );
  app.get("/metrics", { schema: { summary: "Prometheus metrics" } }, async (_, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.post(
    "/v1/announcements",
    {
      schema: {
        summary:
          "A provider announces itself: model, endpoint, price, expiry, signed with its key (EIP-712); rate-limited per provider and per IP (429 with retry-after)",
        body: json(SignedProviderAnnouncementSchema),
        response: {
          200: json(AnnouncementAdmittedSchema),
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          429: errorSchema,
          502: errorSchema,
        },
      },
      onRequest: deps.announcementLimit.byIp,
      preHandler: deps.announcementLimit.providerAtLimit,
    },
    async (request, reply) => {
      let body: unknown;
      try {
        body = JSON.parse((request.body as Buffer).toString("utf8"));
      } catch (error) {
        throw new RouterRefusedError("INVALID_JSON", 400, `the body is not JSON: ${(error as Error).message}`);
      }
      const announcement = parseInput(SignedProviderAnnouncementSchema, body, "announcement");
      try {
        const admission = await checkAnnouncement(announcement, {
          terms,
          reader,
          now: now(),
          signed: () => deps.announcementLimit.countProvider(request, reply),
        });
        const entry = new ProviderEntry(announcement, admission.info, admission.standing, {
          healthy: admission.ready,
          latencyMs: admission.latencyMs,
          connections: deps.connectionsPerProvider,
        });
        table.admit(entry);
        metrics.announcements.inc({ outcome: "admitted" });
        request.log.info({ provider: entry.provider, modelId: announcement.modelId.toString() }, "admitted");
        const admitted: z.input<typeof AnnouncementAdmittedSchema> = {
          provider: entry.provider,
          modelId: announcement.modelId.toString(),
          modelHash: entry.modelHash,
          expiresAt: announcement.expiresAt.toString(),
          healthy: entry.healthy,
        };
        return admitted;
      } catch (error) {
        metrics.announcements.inc({ outcome: (error as { code?: string }).code ?? "error" });
        throw error;
      }
    },
  );

  app.get(
    "/v1/models/:modelId/providers",
    {
      schema: {
        summary: "The providers of a model's weights, what the router measured of them, and their scores",
        response: { 200: json(RoutedModelSchema), 404: errorSchema },
      },
    },
    async (request) => {
      const { modelId } = parseInput(ModelPathSchema, request.params, "path");
      const weights = weightsOfQuery(request.query);
      const modelHash = await reader.modelHashOf(BigInt(modelId));
      const at = now();
      const entries = table.forModel(modelHash);
      const eligible = entries.filter((entry) => entry.eligible(at));
      const ranked = rankProviders(eligible, weights);
      const ordered = [
        ...ranked,
        ...entries.filter((entry) => !entry.eligible(at)).map((entry) => ({ entry, score: null })),
      ];
      return {
        modelId,
        modelHash,
        weights,
        providers: ordered.map(({ entry, score }) => ({
          provider: entry.provider,
          info: entry.info,
          reputation: entry.standing.reputation.toString(),
          slashes: entry.standing.slashes,
          latencyMs: entry.latencyMs,
          inFlight: entry.inFlight,
          healthy: entry.eligible(at),
          expiresAt: entry.announcement.expiresAt.toString(),
          score,
        })),
      };
    },
  );

  app.post(
    "/v1/models/:modelId/predict",
    {
      schema: {
        summary: `Predict through the best provider; vouchers in ${PAYMENTS_HEADER}, one per provider the buyer pays. The answer is the provider's (its POST /v1/predict), or the router's refusal`,
      },
    },
    async (request, reply) => {
      const { modelId } = parseInput(ModelPathSchema, request.params, "path");
      const weights = weightsOfQuery(request.query);
      const { verifiable } = parseInput(PredictQuerySchema, request.query, "query");
      const header = request.headers[PAYMENTS_HEADER];
      if (typeof header !== "string") {
        throw new RouterRefusedError(
          "PAYMENT_REQUIRED",
          402,
          `send one voucher per provider you pay in the ${PAYMENTS_HEADER} header`,
        );
      }
      const payments = new Map(parsePaymentsHeader(header).map(({ provider, voucher }) => [provider, voucher]));
      const modelHash = await reader.modelHashOf(BigInt(modelId));
      const at = now();
      // A verifiable request goes only to providers that announce a deterministic path, with the query passed on.
      const candidates = table
        .forModel(modelHash)
        .filter(
          (entry) =>
            entry.eligible(at) &&
            payments.has(entry.provider) &&
            (!verifiable || entry.info.deterministic !== undefined),
        );
      const ranked = rankProviders(candidates, weights).map(({ entry }) => entry);
      const forwarded = await forwardRequest(ranked, payments, request.body as Buffer, {
        query: verifiable ? "?verifiable=1" : "",
        attemptTimeoutMs: deps.attemptTimeoutMs,
        onAttempt: (outcome) => metrics.attempts.inc({ outcome }),
      });
      metrics.requests.inc({ status: String(forwarded.status) });
      void reply.status(forwarded.status).headers(forwarded.headers);
      if (forwarded.provider !== undefined) void reply.header(ANSWERED_BY_HEADER, forwarded.provider);
      if (forwarded.attempts.length > 0) void reply.header(ATTEMPTS_HEADER, JSON.stringify(forwarded.attempts));
      return reply.send(forwarded.body);
    },
  );
}
