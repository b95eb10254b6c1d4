import { Module } from "@nestjs/common";
import { JobsModule } from "../jobs/jobs.module.js";
import { RoundsModule } from "../rounds/rounds.module.js";
import { MetricsController } from "./metrics.controller.js";
import { StateGauges } from "./state-gauges.js";

/**
 * `GET /metrics` for Prometheus: the events `CoordinatorMetrics` counted, and the state gauges read from the
 * database and the live sockets at each scrape. The chain tables' repositories and the trainer sessions are global.
 */
@Module({
  imports: [JobsModule, RoundsModule],
  controllers: [MetricsController],
  providers: [StateGauges],
})
export class MetricsModule {}
