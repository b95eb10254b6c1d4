import { createMetricsRegistry, RequestDuration } from "@tributary/observability";
import { Counter, Gauge, Histogram } from "prom-client";

/** The provider's Prometheus metrics (`GET /metrics`), in a registry of its own with the process metrics. */
export class ProviderMetrics {
  readonly registry = createMetricsRegistry();
  /** `tributary_http_request_duration_seconds`, by route pattern, as the coordinator and the router count it. */
  readonly requestDuration = new RequestDuration(this.registry);
  /** Examples per model call: how well concurrent requests were batched. */
  readonly batchSize = new Histogram({
    name: "tributary_provider_batch_size",
    help: "Examples per model call (dynamic batching)",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly batchRequests = new Histogram({
    name: "tributary_provider_batch_requests",
    help: "Requests per model call",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: "tributary_provider_requests_total",
    help: "Prediction requests by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly earned = new Counter({
    name: "tributary_provider_price_served_total",
    help: "Price of the requests served, in the payment token's base units",
    registers: [this.registry],
  });

  constructor(queued: () => number, inFlight: () => number, modelCpuSeconds: () => number) {
    new Counter({
      name: "tributary_provider_model_thread_cpu_seconds_total",
      help: "CPU time the model's thread has spent predicting (compare with wall time: how busy the model is)",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(modelCpuSeconds());
      },
    });
    new Gauge({
      name: "tributary_provider_queued_examples",
      help: "Examples waiting for a batch",
      registers: [this.registry],
      collect() {
        this.set(queued());
      },
    });
    new Gauge({
      name: "tributary_provider_in_flight_requests",
      help: "Prediction requests being answered",
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
  }
}
