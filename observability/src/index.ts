export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LoggerOptions,
  type LogLevel,
} from "./create-logger.js";
export { type LogFields, logContext, withLogContext } from "./log-context.js";
export { createMetricsRegistry, RequestDuration, type RequestLabels } from "./metrics-registry.js";
export { type MetricsServer, serveMetrics } from "./metrics-server.js";
export { observeFastifyRequests } from "./observe-fastify.js";
export { REDACTED, REDACTED_PATHS, secretScrubber } from "./redaction.js";
