import { randomUUID } from "node:crypto";
import { Logger } from "@nestjs/common";
import { withLogContext } from "@tributary/observability";
import type { NextFunction, Request, Response } from "express";
import type { CoordinatorMetrics } from "./coordinator-metrics.js";

/** A client's `x-request-id` is kept when it is a plain token of at most 128 characters; else a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Routes polled by machines: logged at debug level when they succeed, so the log is not mostly scrapes. */
const POLLED = new Set(["/metrics", "/health"]);

/** One access-log line: structured fields for a structured logger, `msg` for any other (`toString`). */
class AccessLine {
  constructor(
    readonly msg: string,
    readonly requestId: string,
    readonly method: string,
    readonly path: string,
    readonly route: string,
    readonly status: number,
    readonly ms: number,
  ) {}

  toString(): string {
    return this.msg;
  }
}

/**
 * Express middleware for every REST request: its id (the client's `x-request-id` or a fresh one, echoed in the
 * answer and in every line logged while it is handled), its latency in `tributary_http_request_duration_seconds` by
 * route pattern, and one access-log line (context `http`): method, path, route, status, milliseconds. No header,
 * query or body is logged (the logger censors credentials anywhere all the same).
 */
export function observeRequests(metrics: CoordinatorMetrics) {
  const logger = new Logger("http");
  return (request: Request, response: Response, next: NextFunction): void => {
    const given = request.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader("x-request-id", requestId);
    const done = metrics.requests.start();
    const started = performance.now();
    response.once("finish", () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? "unmatched";
      const status = response.statusCode;
      done({ method: request.method, route, status });
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const line = new AccessLine(
        `${request.method} ${request.path} ${status} ${ms} ms`,
        requestId,
        request.method,
        request.path,
        route,
        status,
        ms,
      );
      if (status >= 500) logger.error(line);
      else if (POLLED.has(route) && status < 400) logger.debug(line);
      else logger.log(line);
    });
    withLogContext({ requestId }, next);
  };
}
