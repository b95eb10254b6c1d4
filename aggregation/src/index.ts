export { type AdaptiveOptions, AdaptiveServerOptimizer } from "./adaptive-server-optimizer.js";
export { bulyan } from "./bulyan.js";
export { coordinateMedian } from "./coordinate-median.js";
export { AggregationInputError, InvalidUpdateError, type InvalidUpdateReason } from "./errors.js";
export { FedAdagrad, type FedAdagradOptions, FedAdagradOptionsSchema } from "./fed-adagrad.js";
export { FedAdam, type FedAdamOptions, FedAdamOptionsSchema } from "./fed-adam.js";
export {
  DEFAULT_PARALLEL_THRESHOLD,
  type FedAvgOptions,
  fedAvg,
  fedAvgParallel,
  type WeightedUpdate,
} from "./fed-avg.js";
export { createFedAvgAccumulator, type FedAvgAccumulator } from "./fed-avg-accumulator.js";
export { FedAvgM, type FedAvgMOptions, FedAvgMOptionsSchema } from "./fed-avg-m.js";
export { type FedAvgSubsetUtilityInput, fedAvgSubsetUtility } from "./fed-avg-subset-utility.js";
export { FedYogi, type FedYogiOptions, FedYogiOptionsSchema } from "./fed-yogi.js";
export { type GtgShapleyOptions, type GtgShapleyResult, gtgShapley } from "./gtg-shapley.js";
export { krum, krumScores, multiKrum, type RobustSelection } from "./krum.js";
export { type LeaveOneOutResult, leaveOneOut } from "./leave-one-out.js";
export { l2Norm, normBound } from "./norm-bound.js";
export { type NormaliseScoresOptions, normaliseScores } from "./normalise-scores.js";
export { pairwiseSquaredDistances } from "./pairwise-distances.js";
export { restoreServerOptimizer } from "./restore-server-optimizer.js";
export { scoresToFixed18 } from "./scores-to-fixed18.js";
export { createSeededRandom, type SeededRandom } from "./seeded-random.js";
export {
  SERVER_OPTIMIZER_KINDS,
  type ServerOptimizer,
  type ServerOptimizerKind,
  type ServerOptimizerState,
  ServerOptimizerStateSchema,
} from "./server-optimizer-state.js";
export { createSharedVector, isSharedVector } from "./shared-vector.js";
export type { SubsetUtility } from "./subset-utility.js";
export { trimmedMean } from "./trimmed-mean.js";
export { createUpdatePool, type UpdatePool } from "./update-pool.js";
export { type ValidateUpdateOptions, validateUpdate } from "./validate-update.js";
export {
  aggregationWorkerStats,
  startAggregationWorkers,
  stopAggregationWorkers,
} from "./worker-pool.js";
