import fastifySwagger from "@fastify/swagger";
import {
  C2dErrorSchema,
  C2dNodeInfoSchema,
  C2dRunBodySchema,
  C2dRunResultSchema,
  MAX_C2D_PARAMS_BYTES,
  TributaryError,
} from "@tributary/protocol";
import Fastify, { type FastifyError } from "fastify";
import { z } from "zod";
import { C2D_REFUSAL_STATUS } from "./c2d-refusal.js";
import { type C2dNodeOptions, C2dRunner } from "./c2d-runner.js";

export interface C2dServiceOptions extends C2dNodeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger?: boolean;
}

/** A running node. `close()` answers the run in progress, then stops. */
export interface C2dService {
  readonly url: string;
  readonly runner: C2dRunner;
  close(): Promise<void>;
}

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

function statusOf(error: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (error instanceof TributaryError) {
    return {
      status: C2D_REFUSAL_STATUS[error.code] ?? 500,
      code: error.code,
      message: error.message,
      details: error.details,
    };
  }
  const fastify = error as FastifyError;
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, code: "BODY_TOO_LARGE", message: "the request body is larger than this node takes" };
  }
  if (fastify.statusCode !== undefined && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, code: fastify.code ?? "BAD_REQUEST", message: fastify.message };
  }
  return { status: 500, code: "INTERNAL", message: "the run failed inside the node; see its log" };
}

/**
 * Starts a data owner's compute-to-data node (Fastify, documented at `/openapi.json`): `GET /v1/node` says what it
 * serves and on what terms, `POST /v1/runs` takes a researcher's signed request and answers the attested output or
 * the refusal (`{error: {code, message, details}}`, status by `C2D_REFUSAL_STATUS`), `GET /health`.
 */
export async function startC2dService(options: C2dServiceOptions): Promise<C2dService> {
  const runner = await C2dRunner.open(options);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_C2D_PARAMS_BYTES + 64 * 1024,
    return503OnClosing: true,
  });
  // Bodies are parsed with protocol's zod schemas in the runner; the JSON Schemas only document the routes.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "Tributary compute-to-data node",
        version: "1",
        description: `Dataset ${options.datasetId} (${options.commitment}): allowlisted algorithms run next to the data; only their attested, policy-checked aggregate outputs leave.`,
      },
    },
  });
  const errorSchema = json(C2dErrorSchema);
  app.setErrorHandler((error, request, reply) => {
    const { status, code, message, details } = statusOf(error);
    if (status === 500) request.log.error({ err: error }, "run failed");
    void reply.status(status).send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
  });
  app.get("/health", { schema: { summary: "Liveness: the process answers" } }, async () => ({ status: "ok" }));
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get(
    "/v1/node",
    {
      schema: {
        summary:
          "The dataset, its allowlisted algorithms (name, version, hash), the owner's policy and budget, the TEE",
        response: { 200: json(C2dNodeInfoSchema) },
      },
    },
    () => runner.info(),
  );
  app.post(
    "/v1/runs",
    {
      schema: {
        summary:
          "Run an allowlisted algorithm on the dataset: a researcher's EIP-712 signed C2dRunRequest and its params; the attested output, or the refusal",
        body: json(C2dRunBodySchema),
        response: {
          200: json(C2dRunResultSchema),
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          409: errorSchema,
          413: errorSchema,
          422: errorSchema,
        },
      },
    },
    (request) => runner.run(request.body),
  );
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, runner, close: () => app.close() };
}
