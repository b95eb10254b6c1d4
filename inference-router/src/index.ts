export { type Admission, type AnnouncementTerms, checkAnnouncement } from "./announcement-check.js";
export { type AnnouncementRateLimits, DEFAULT_ANNOUNCEMENT_RATE_LIMITS } from "./announcement-rate-limit.js";
export { HealthMonitor } from "./health-monitor.js";
export {
  BALANCED_WEIGHTS,
  PREFERRED_WEIGHT,
  type RouteWeights,
  type ScoreInput,
  scoreProviders,
  weightsFor,
  weightsOfQuery,
} from "./provider-score.js";
export { LATENCY_EWMA_ALPHA, ProviderEntry, ProviderTable } from "./provider-table.js";
export { type ProviderStanding, RegistryReader } from "./registry-reader.js";
export { RouterRefusedError } from "./router-error.js";
export { type RouterService, type RouterServiceOptions, startRouterService } from "./router-service.js";
