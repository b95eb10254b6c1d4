import { Controller, Get, Header, Inject } from "@nestjs/common";
import { ApiOperation, ApiProduces, ApiTags } from "@nestjs/swagger";
import { Access } from "../common/access.decorator.js";
import { CoordinatorMetrics } from "../common/coordinator-metrics.js";

@ApiTags("metrics")
@Controller("metrics")
export class MetricsController {
  constructor(@Inject(CoordinatorMetrics) private readonly metrics: CoordinatorMetrics) {}

  @Get()
  @Access("metrics-scraper")
  @Header("content-type", "text/plain; version=0.0.4; charset=utf-8")
  @ApiProduces("text/plain")
  @ApiOperation({
    summary:
      "Prometheus metrics: rounds, updates, aggregation and scoring time, the chain outbox, ε per dataset, sockets, request latency, the process (with metricsToken configured, only for `Authorization: Bearer <metricsToken>`)",
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
