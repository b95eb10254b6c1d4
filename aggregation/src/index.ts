export { AggregationInputError, InvalidUpdateError, type InvalidUpdateReason } from "./errors.js";
export { fedAvg, type WeightedUpdate } from "./fed-avg/fed-avg.js";
export { createFedAvgAccumulator, type FedAvgAccumulator } from "./fed-avg/fed-avg-accumulator.js";
export {
  CENTRED_CLIPPING_ITERATIONS,
  type CentredClippingOptions,
  centredClipping,
} from "./robust/centred-clipping.js";
export { coordinateMedian } from "./robust/coordinate-median.js";
export { type FlTrustResult, flTrust } from "./robust/fltrust.js";
export { krum, type RobustSelection } from "./robust/krum.js";
export { trimmedMean } from "./robust/trimmed-mean.js";
export { type ValidateUpdateOptions, validateUpdate } from "./robust/validate-update.js";
export { EXACT_SHAPLEY_MAX_UPDATES, type ExactShapleyResult, exactShapley } from "./scoring/exact-shapley.js";
export { type FedAvgSubsetUtilityInput, fedAvgSubsetUtility } from "./scoring/fed-avg-subset-utility.js";
export { type GtgShapleyOptions, type GtgShapleyResult, gtgShapley } from "./scoring/gtg-shapley.js";
export { type LeaveOneOutResult, leaveOneOut } from "./scoring/leave-one-out.js";
export { type NormaliseScoresOptions, normaliseScores } from "./scoring/normalise-scores.js";
export {
  type ScoreContributionsInput,
  type ScoredContributions,
  scoreContributions,
  type ValidationLoss,
} from "./scoring/score-contributions.js";
export { scoresToFixed18 } from "./scoring/scores-to-fixed18.js";
export {
  type StratifiedShapleyOptions,
  type StratifiedShapleyResult,
  stratifiedShapley,
} from "./scoring/stratified-shapley.js";
export type { SubsetUtility } from "./scoring/subset-utility.js";
export {
  type AggregateRoundOptions,
  aggregateRound,
  type RoundDelta,
  type RoundResult,
} from "./strategy/aggregate-round.js";
