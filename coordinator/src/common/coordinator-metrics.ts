import { createMetricsRegistry, RequestDuration } from "@tributary/observability";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** One labelled value of a gauge read when Prometheus scrapes. */
export interface GaugeValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * The coordinator's Prometheus metrics (`GET /metrics`), in a registry of its own with the process metrics. Events
 * are counted where they happen in this process (rounds finished, updates accepted or rejected, aggregation and
 * scoring time, request latency); state is read from the database at each scrape (`StateGauges`), so every
 * replica of a shared database reports the same jobs, rounds and outbox.
 */
export class CoordinatorMetrics {
  readonly registry: Registry = createMetricsRegistry();
  readonly requests = new RequestDuration(this.registry);
  readonly #roundsFinished = new Counter({
    name: "tributary_rounds_total",
    help: "Rounds this process finished, by kind (train: aggregated and scored; evaluate: the final evaluation)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly #roundDuration = new Histogram({
    name: "tributary_round_duration_seconds",
    help: "Seconds from a round's opening to its end (its model stored, or the final evaluation recorded), by kind",
    labelNames: ["kind"] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly #updatesAccepted = new Counter({
    name: "tributary_updates_accepted_total",
    help: "Model updates accepted and stored",
    registers: [this.registry],
  });
  readonly #updatesRejected = new Counter({
    name: "tributary_updates_rejected_total",
    help: "Model updates rejected, by reason (bad-signature, not-selected, duplicate, round-closed, invalid-update, …)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly #aggregation = new Histogram({
    name: "tributary_aggregation_seconds",
    help: "Seconds to aggregate a training round's updates, by strategy",
    labelNames: ["strategy"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly #scoring = new Histogram({
    name: "tributary_scoring_seconds",
    help: "Seconds to score a training round's contributions, by method",
    labelNames: ["method"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  /** A round ended: counted, and its duration observed. */
  roundFinished(kind: string, startedAt: Date, finishedAt: Date): void {
    this.#roundsFinished.inc({ kind });
    this.#roundDuration.observe({ kind }, Math.max(0, finishedAt.getTime() - startedAt.getTime()) / 1000);
  }

  updateAccepted(): void {
    this.#updatesAccepted.inc();
  }

  updateRejected(reason: string): void {
    this.#updatesRejected.inc({ reason });
  }

  /** A training round was aggregated in `aggregationMs` and scored in `scoringMs`. */
  aggregated(strategy: string, aggregationMs: number, method: string, scoringMs: number): void {
    this.#aggregation.observe({ strategy }, aggregationMs / 1000);
    this.#scoring.observe({ method }, scoringMs / 1000);
  }

  /** A gauge whose values are read at each scrape (state held elsewhere: the database, the live sockets). */
  gauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Promise<readonly GaugeValue[]> | readonly GaugeValue[],
  ): void {
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [this.registry],
      async collect() {
        const values = await read();
        this.reset();
        for (const { labels, value } of values) this.set(labels, value);
      },
    });
  }
}
