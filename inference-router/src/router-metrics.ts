import { createMetricsRegistry, RequestDuration } from "@tributary/observability";
import { Counter, Gauge } from "prom-client";
import type { ProviderTable } from "./provider-table.js";

/** The router's Prometheus metrics (`GET /metrics`), in a registry of its own with the process metrics. */
export class RouterMetrics {
  readonly registry = createMetricsRegistry();
  /** `tributary_http_request_duration_seconds`, by route pattern, as the coordinator and the provider count it. */
  readonly requestDuration = new RequestDuration(this.registry);
  readonly requests = new Counter({
    name: "tributary_router_requests_total",
    help: "Prediction requests by HTTP status answered",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: "tributary_router_attempts_total",
    help: "Requests sent to providers, by outcome (answered, refused, failed, lost, timeout, unreachable)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly announcements = new Counter({
    name: "tributary_router_announcements_total",
    help: "Announcements by outcome (admitted or the refusal's code)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  constructor(table: ProviderTable) {
    new Gauge({
      name: "tributary_router_providers",
      help: "Providers admitted, by whether a request may go to them now",
      labelNames: ["eligible"] as const,
      registers: [this.registry],
      collect() {
        const now = BigInt(Math.floor(Date.now() / 1000));
        const entries = table.all();
        const eligible = entries.filter((entry) => entry.eligible(now)).length;
        this.set({ eligible: "true" }, eligible);
        this.set({ eligible: "false" }, entries.length - eligible);
      },
    });
  }
}
