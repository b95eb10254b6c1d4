import { randomUUID } from "node:crypto";
import { withLogContext } from "@tributary/observability";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import type { CoordinatorMetrics } from "./coordinator-metrics.js";

/** A client's `x-request-id` is kept when it is a plain token of at most 128 characters; else a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Routes polled by machines: logged at debug level when they succeed, so the log is not mostly scrapes. */
const POLLED = new Set(["/metrics", "/health"]);

/**
 * Express middleware for every REST request: its id (the client's `x-request-id` or a fresh one, echoed in the
 * answer and in every log line written while it is handled), its latency in `tributary_http_request_duration_seconds`
 * by route pattern, and one access-log line: method, path, route, status, milliseconds. No header, query value or
 * body is logged beyond the path (the logger censors credentials anywhere all the same).
 */
export function observeRequests(metrics: CoordinatorMetrics, logger: Logger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const given = request.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader("x-request-id", requestId);
    const done = metrics.requests.start();
    const started = performance.now();
    response.once("finish", () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? "unmatched";
      done({ method: request.method, route, status: response.statusCode });
      const line = {
        requestId,
        method: request.method,
        path: request.path,
        route,
        status: response.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      const level =
        response.statusCode >= 500 ? "error" : POLLED.has(route) && response.statusCode < 400 ? "debug" : "info";
      logger[level](line, "request");
    });
    withLogContext({ requestId }, next);
  };
}
