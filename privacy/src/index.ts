export {
  AdaptiveClipping,
  type AdaptiveClippingOptions,
  type AdaptiveClippingState,
  AdaptiveClippingStateSchema,
  type GaussianStepAccountant,
} from "./adaptive-clipping.js";
export { calibrateNoiseMultiplier, type NoiseCalibration } from "./calibrate-noise-multiplier.js";
export { clipPerExample, clipPerExamplePerLayer, type SumBuffer } from "./clip-per-example.js";
export { CLIP_MARGIN, clipUpdate } from "./clip-update.js";
export {
  DiscreteGaussianSampler,
  type DiscreteGaussianSamplerOptions,
  MAX_DISCRETE_SIGMA,
} from "./discrete-gaussian-sampler.js";
export {
  DiscreteLaplaceSampler,
  MAX_DISCRETE_LAPLACE_SCALE,
} from "./discrete-laplace-sampler.js";
export {
  type DistributedNoise,
  distributedNoiseShare,
  effectiveNoiseMultiplier,
  quantisedSensitivity,
} from "./distributed-noise.js";
export { InvalidPrivacyParameterError, PrivacyBudgetExceededError, UnknownDatasetBudgetError } from "./errors.js";
export { exponentialQuantile, type GridQuantileRequest } from "./exponential-quantile.js";
export { type AddNoiseOptions, addGaussianNoise, GaussianNoise, type NoiseReport } from "./gaussian-noise.js";
export { GaussianStepHistory, type GaussianSteps, GaussianStepsSchema } from "./gaussian-step-history.js";
export { l2Norm } from "./l2-norm.js";
export { equalPerLayerClipNorms, type LayerSegments, layerSegments, perLayerSensitivity } from "./layer-segments.js";
export {
  type LabelledSpend,
  type PrivacyBudget,
  PrivacyBudgetLedger,
  type PrivacyBudgetLedgerOptions,
  type PrivacyBudgetLedgerState,
  PrivacyBudgetLedgerStateSchema,
  type PrivacySpend,
} from "./privacy-budget-ledger.js";
export {
  checkDelta,
  checkEpsilon,
  checkNoiseMultiplier,
  checkPositive,
  checkSampleRate,
  checkSteps,
} from "./privacy-parameters.js";
export {
  type PerExampleGradients,
  type PrivateGradientSumRequest,
  type PrivateGradientSumResult,
  privateGradientSum,
} from "./private-gradient-sum.js";
export {
  PrvAccountant,
  type PrvAccountantOptions,
  type PrvAccountantState,
  PrvAccountantStateSchema,
} from "./prv-accountant.js";
export {
  RdpAccountant,
  type RdpAccountantOptions,
  type RdpAccountantState,
  RdpAccountantStateSchema,
} from "./rdp-accountant.js";
export { deltaFromRdp, epsilonFromRdp, type RdpConversion, type RdpDelta, type RdpEpsilon } from "./rdp-conversion.js";
export { DEFAULT_RDP_ORDERS, OPACUS_RDP_ORDERS, TF_PRIVACY_RDP_ORDERS } from "./rdp-orders.js";
export {
  type FractionalOrderSeries,
  subsampledGaussianRdp,
  subsampledGaussianRdpVector,
} from "./rdp-subsampled-gaussian.js";
export { type RandomFill, SecureRandom } from "./secure-random.js";
