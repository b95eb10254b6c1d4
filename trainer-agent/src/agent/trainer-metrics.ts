import { createMetricsRegistry } from "@tributary/observability";
import { Counter, Gauge, Histogram } from "prom-client";
import type { AgentEvent } from "./trainer-agent-options.js";

/** The dataset's privacy ledger as read at a scrape: ε spent (composed) and the ε budget enforced. */
export interface LedgerReading {
  readonly spentEpsilon: number;
  readonly budgetEpsilon: number;
}

/**
 * A trainer agent's Prometheus metrics (`tributary trainer --metrics-port`), counted from the agent's events: whether
 * it is connected, rounds trained, refused, rejected and evaluated, jobs joined and refused, training time, and the
 * dataset's ε spent and budget read from its privacy ledger on disk at each scrape (which the compute-to-data node
 * charges too).
 */
export class TrainerMetrics {
  readonly registry = createMetricsRegistry();
  readonly #connected = new Gauge({
    name: "tributary_trainer_connected",
    help: "1 while the agent is connected to its coordinator",
    registers: [this.registry],
  });
  readonly #rounds = new Counter({
    name: "tributary_trainer_rounds_total",
    help: "Round instructions by outcome: trained (update accepted), refused (by the agent), rejected (by the coordinator), evaluated",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #jobs = new Counter({
    name: "tributary_trainer_jobs_total",
    help: "Jobs by outcome: joined, refused (by the owner's terms), closed",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #training = new Histogram({
    name: "tributary_trainer_training_seconds",
    help: "Seconds of local training per round",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: "tributary_trainer_errors_total",
    help: "Errors the agent reported (it carries on)",
    registers: [this.registry],
  });

  constructor(datasetId: string, ledger: () => Promise<LedgerReading | undefined>) {
    const read = async (field: keyof LedgerReading) => (await ledger())?.[field];
    for (const [name, help, field] of [
      ["tributary_trainer_epsilon_spent", "ε the dataset has spent, composed, from its privacy ledger", "spentEpsilon"],
      ["tributary_trainer_epsilon_budget", "The ε budget the agent enforces for the dataset", "budgetEpsilon"],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ["dataset"],
        registers: [this.registry],
        async collect() {
          const value = await read(field);
          this.reset();
          if (value !== undefined) this.set({ dataset: datasetId }, value);
        },
      });
    }
  }

  /** Counts one of the agent's events. */
  observe(event: AgentEvent): void {
    switch (event.type) {
      case "connected":
        this.#connected.set(1);
        break;
      case "disconnected":
        this.#connected.set(0);
        break;
      case "joined":
        this.#jobs.inc({ outcome: "joined" });
        break;
      case "job-refused":
        this.#jobs.inc({ outcome: "refused" });
        break;
      case "job-closed":
        this.#jobs.inc({ outcome: "closed" });
        break;
      case "trained":
        this.#rounds.inc({ outcome: "trained" });
        this.#training.observe(event.seconds);
        break;
      case "refused":
      case "rejected":
      case "evaluated":
        this.#rounds.inc({ outcome: event.type });
        break;
      case "error":
        this.#errors.inc();
        break;
      case "notice":
        break;
    }
  }
}
