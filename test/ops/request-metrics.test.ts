import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition } from "../../coordinator/test-support/one-round-job.js";
import { startEveryService } from "./exported-metrics.js";

/** `tributary_http_request_duration_seconds_count` of one route and status at `metricsUrl` (0 when absent). */
async function requests(metricsUrl: string, route: string, status: string): Promise<number> {
  const samples = parseExposition(await (await fetch(metricsUrl)).text());
  return (
    samples.find(
      (s) =>
        s.name === "tributary_http_request_duration_seconds_count" &&
        s.labels.method === "GET" &&
        s.labels.route === route &&
        s.labels.status === status,
    )?.value ?? 0
  );
}

describe("request latency and ids at the provider and the router", () => {
  let services: Awaited<ReturnType<typeof startEveryService>>;

  beforeAll(async () => {
    services = await startEveryService();
  }, 120_000);

  afterAll(async () => {
    await services?.stop();
  });

  for (const name of ["provider", "router"] as const) {
    it(`${name}: counts each request under its route and status, and echoes or assigns its request id`, async () => {
      const metricsUrl = services.metricsUrls[name];
      const base = metricsUrl.replace(/\/metrics$/, "");
      const before = await requests(metricsUrl, "/health", "200");
      const given = await fetch(`${base}/health`, { headers: { "x-request-id": `${name}-7` } });
      expect(given.headers.get("x-request-id")).toBe(`${name}-7`);
      const assigned = await fetch(`${base}/health`);
      expect(assigned.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      await fetch(`${base}/health`);
      expect((await requests(metricsUrl, "/health", "200")) - before).toBe(3);
      const missing = await requests(metricsUrl, "unmatched", "404");
      expect((await fetch(`${base}/no/such/route`)).status).toBe(404);
      expect((await requests(metricsUrl, "unmatched", "404")) - missing).toBe(1);
    });
  }
});
