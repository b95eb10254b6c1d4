import type { FastifyInstance } from "fastify";
import type { RequestDuration } from "./metrics-registry.js";

/**
 * Times every request of a Fastify service into `tributary_http_request_duration_seconds` by route pattern
 * (`unmatched` for a 404 without a route), and echoes its id (the client's `x-request-id`, else a fresh one, as the
 * service's `genReqId` makes it) in the answer's `x-request-id`.
 */
export function observeFastifyRequests(app: FastifyInstance, duration: RequestDuration): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? "unmatched", status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });
}
