import { Global, Module } from "@nestjs/common";
import { CoordinatorMetrics } from "./coordinator-metrics.js";

/** The process's `CoordinatorMetrics`, one per application, for every module that counts something. */
@Global()
@Module({
  providers: [{ provide: CoordinatorMetrics, useFactory: () => new CoordinatorMetrics() }],
  exports: [CoordinatorMetrics],
})
export class CoordinatorMetricsModule {}
