import { Inject, Injectable, type OnModuleInit } from "@nestjs/common";
import { ChainIntentRepository } from "../chain/chain-intent.repository.js";
import { CoordinatorMetrics } from "../common/coordinator-metrics.js";
import { JobRepository } from "../jobs/job.repository.js";
import { RoundRepository } from "../rounds/round.repository.js";
import { UpdateRepository } from "../rounds/update.repository.js";
import { TrainerSessions } from "../trainers/trainer-sessions.js";

/**
 * The gauges read at each scrape from where the state lives: jobs and rounds by status, the chain outbox's open
 * intents and the age of the oldest (how far the sender lags), the ε each dataset's updates signed, and the trainers
 * connected to this process.
 */
@Injectable()
export class StateGauges implements OnModuleInit {
  constructor(
    @Inject(CoordinatorMetrics) private readonly metrics: CoordinatorMetrics,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(RoundRepository) private readonly rounds: RoundRepository,
    @Inject(UpdateRepository) private readonly updates: UpdateRepository,
    @Inject(ChainIntentRepository) private readonly outbox: ChainIntentRepository,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
  ) {}

  onModuleInit(): void {
    const metrics = this.metrics;
    metrics.gauge("tributary_jobs", "Jobs by status (from the database)", ["status"], async () =>
      (await this.jobs.countByStatus()).map(({ status, count }) => ({ labels: { status }, value: count })),
    );
    metrics.gauge("tributary_rounds", "Rounds by status and kind (from the database)", ["status", "kind"], async () =>
      (await this.rounds.countByStatus()).map(({ status, kind, count }) => ({
        labels: { status, kind },
        value: count,
      })),
    );
    metrics.gauge(
      "tributary_chain_outbox_pending_intents",
      "Chain writes committed to the outbox and not yet final, by kind and status (pending: not signed; sent: signed, not confirmed)",
      ["kind", "status"],
      async () =>
        (await this.outbox.openCounts()).map(({ kind, status, count }) => ({ labels: { kind, status }, value: count })),
    );
    metrics.gauge(
      "tributary_chain_outbox_lag_seconds",
      "Age of the oldest chain write not yet final (0 when the outbox is empty): how far the chain sender lags",
      [],
      async () => {
        const oldest = await this.outbox.oldestOpen();
        const lag = oldest === null ? 0 : Math.max(0, Date.now() - oldest.createdAt.getTime()) / 1000;
        return [{ labels: {}, value: lag }];
      },
    );
    metrics.gauge(
      "tributary_dataset_epsilon_spent",
      "Cumulative ε each dataset has spent, the highest its trainer signed in an accepted update",
      ["dataset"],
      async () =>
        (await this.updates.epsilonByDataset()).map(({ datasetId, epsilon }) => ({
          labels: { dataset: datasetId },
          value: epsilon,
        })),
    );
    metrics.gauge("tributary_socket_connections", "Trainers signed in over socket.io to this process", [], () => [
      { labels: {}, value: this.sessions.online().length },
    ]);
  }
}
