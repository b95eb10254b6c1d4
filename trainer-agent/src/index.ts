// The model runtime (building a model from its spec, flat weights, evaluation, backend choice) moved to
// @tributary/enclave-compute, where the coordinator can use it too; re-exported so this package's API is unchanged.
export {
  BACKEND_PREFERENCE,
  BackendUnavailableError,
  type BuildModelOptions,
  buildModel,
  type EvaluationResult,
  evaluate,
  featureSize,
  getFlatWeights,
  modelSpecOf,
  parameterCount,
  setFlatWeights,
  WeightsLengthError,
} from "@tributary/enclave-compute";
export { CoordinatorApi, CoordinatorRequestError, ModelHashMismatchError } from "./agent/coordinator-api.js";
export {
  DatasetPrivacyGuard,
  NonPrivateJobRefusedError,
  type OwnerPrivacyPolicy,
  type PrivacyGuard,
  type RoundPrivacy,
} from "./agent/privacy-guard.js";
export {
  type AgentEvent,
  DatasetNotEnrolledAsError,
  TrainerAgent,
  type TrainerAgentOptions,
} from "./agent/trainer-agent.js";
export { canonicalJson } from "./canonical-json.js";
export { type Dataset, labelHistogram, subsetDataset } from "./dataset.js";
export {
  type DatasetManifest,
  DatasetManifestSchema,
  type DatasetShard,
  DatasetShardSchema,
  manifestCommitment,
  sha256Hex,
  verifyDatasetCommitment,
} from "./dataset-manifest.js";
export { DatasetCommitmentMismatchError, DatasetFormatError, TrainingConfigError } from "./errors.js";
export { averageMicrobatchGradients, type GradientTransform, type MicrobatchGradients } from "./gradient-transform.js";
export { encodeIdx, IDX_TYPES, type IdxArray, type IdxTypeCode, maybeGunzip, parseIdx } from "./idx-format.js";
export { type DatasetSource, type LoadedDataset, loadDataset, loadEnrolledDataset } from "./load-dataset.js";
export { type DirichletOptions, type Partition, partitionDirichlet, partitionIid } from "./partition-dataset.js";
export { type TrainLocalOptions, type TrainLocalResult, trainLocal } from "./train-local.js";
export {
  type InitTrainingBackendOptions,
  initTrainingBackend,
  type TrainingBackendInfo,
  type TrainingBackendName,
} from "./training-backend.js";
export { registerWasmTrainingKernels } from "./wasm-training-kernels.js";
export { type WriteIdxShardsOptions, writeIdxShards } from "./write-idx-shards.js";
