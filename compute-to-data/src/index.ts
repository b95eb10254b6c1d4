export {
  algorithmHash,
  type C2dAlgorithm,
  type ChargedRun,
  type DataShape,
  outputHash,
  paramsHash,
  type RunCharger,
  type RunContext,
} from "./algorithms/c2d-algorithm.js";
export { type AllowedAlgorithm, allowlist, C2D_ALGORITHMS, findAlgorithm } from "./algorithms/catalogue.js";
export { type DpCountParams, dpCount, noisyCount, trueCount } from "./algorithms/dp-count.js";
export { type DpHistogramParams, dpHistogram, MAX_HISTOGRAM_BINS, trueHistogram } from "./algorithms/dp-histogram.js";
export { type DpMeanParams, dpMean, MAX_MEAN_FEATURES } from "./algorithms/dp-mean.js";
export { type DpQuantilesParams, dpQuantiles, MAX_QUANTILES } from "./algorithms/dp-quantiles.js";
export { LATTICE_STEPS } from "./algorithms/lattice.js";
export { type TrainStepParams, tributaryTrainStep } from "./algorithms/tributary-train-step.js";
export {
  type AttestationAcceptance,
  C2dNodeRefusedError,
  type C2dRunInput,
  type C2dRunOutcome,
  fetchNodeInfo,
  requestC2dRun,
  verifyRunResult,
} from "./c2d-client.js";
export { C2D_REFUSAL_STATUS, type C2dRefusalCode, C2dRefusalError } from "./c2d-refusal.js";
export { type C2dNodeOptions, C2dRunner } from "./c2d-runner.js";
export { type C2dService, type C2dServiceOptions, startC2dService } from "./c2d-service.js";
export { checkEpsilonCap, checkGranularity, checkOutput, type OutputPolicy } from "./output-policy.js";
export { c2dRunBinding } from "./run-binding.js";
export { type C2dRunLogEntry, C2dRunLogEntrySchema, c2dRunLogFile, RunLog } from "./run-log.js";
