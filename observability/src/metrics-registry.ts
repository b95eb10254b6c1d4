import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * A service's own Prometheus registry with Node's process metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, `nodejs_heap_size_used_bytes`, GC, handles, …).
 * One per service instance, so several services in one process (tests, the demo) keep their numbers apart.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Label values of one answered HTTP request. */
export interface RequestLabels {
  readonly method: string;
  /** The matched route's pattern (`/jobs/:id`), never the raw path, so the label set stays small. */
  readonly route: string;
  readonly status: number;
}

/**
 * `tributary_http_request_duration_seconds{method, route, status}`: the time from a request's arrival to its answer's
 * last byte handed to the network, the same histogram in every HTTP service (coordinator, provider, router).
 */
export class RequestDuration {
  readonly #histogram: Histogram<"method" | "route" | "status">;

  constructor(registry: Registry) {
    this.#histogram = new Histogram({
      name: "tributary_http_request_duration_seconds",
      help: "HTTP requests by method, route pattern and status: seconds from arrival to the answer's last byte",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  /** Starts timing a request; call the result with its labels when the answer is sent. */
  start(): (labels: RequestLabels) => void {
    const started = process.hrtime.bigint();
    return (labels) => this.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Records a request that took `seconds` (a server that timed it itself, e.g. Fastify's `reply.elapsedTime`). */
  observe({ method, route, status }: RequestLabels, seconds: number): void {
    this.#histogram.observe({ method, route, status: String(status) }, seconds);
  }
}
