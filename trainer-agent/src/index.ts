export { CoordinatorApi, CoordinatorRequestError, ModelHashMismatchError } from "./agent/coordinator-api.js";
export { UnchargedStepError } from "./agent/dp-sgd-transform.js";
export {
  DEFAULT_METRIC_PRECISION,
  DEFAULT_UPDATE_METRICS,
  EvaluationAllowance,
  EvaluationRefusedError,
  type OwnerDisclosurePolicy,
  roundMetric,
  UPDATE_METRICS,
  type UpdateMetricName,
} from "./agent/evaluation-allowance.js";
export { checkTrainInstruction, HyperParamsMismatchError, RoundOutOfRangeError } from "./agent/instruction-checks.js";
export {
  ChainJobAdmission,
  type ChainJobAdmissionOptions,
  type JobAdmission,
  JobRefusedError,
  JobSpecMismatchError,
  OFF_CHAIN_ADMISSION,
} from "./agent/job-admission.js";
export { OceanOrderAdmission, type OceanOrderAdmissionOptions } from "./agent/ocean-order-admission.js";
export {
  DatasetPrivacyGuard,
  type DpSgdHyperParams,
  NonPrivateJobRefusedError,
  type OwnerPrivacyPolicy,
  PrivacyBudgetBelowSpentError,
  type PrivacyGuard,
  type PrivacyLedgerReport,
  privacyLedgerFile,
  type RoundAccounting,
  type RoundHyperParams,
  type RoundPrivacy,
  roundAccounting,
  runAccounting,
} from "./agent/privacy-guard.js";
export { PrivacyLedgerFile, PrivacyLedgerLockedError } from "./agent/privacy-ledger-file.js";
export { DatasetNotEnrolledAsError, TrainerAgent } from "./agent/trainer-agent.js";
export type { AgentEvent, TrainerAgentOptions, UpdateTransform } from "./agent/trainer-agent-options.js";
export { type LedgerReading, TrainerMetrics } from "./agent/trainer-metrics.js";
export { type Dataset, subsetDataset } from "./dataset.js";
export { verifyDatasetCommitment } from "./dataset-manifest.js";
export { DatasetCommitmentMismatchError, TrainingConfigError } from "./errors.js";
export { averageMicrobatchGradients, type GradientTransform, type MicrobatchGradients } from "./gradient-transform.js";
export { encodeIdx } from "./idx-format.js";
export { type DatasetSource, type LoadedDataset, loadDataset, loadEnrolledDataset } from "./load-dataset.js";
export { FASHION_MNIST_DIR, loadMnistIdx, loadMnistPackage, type MnistSplit, mnistIdxFiles } from "./load-mnist.js";
export { type DirichletOptions, type Partition, partitionDirichlet, partitionIid } from "./partition-dataset.js";
export { type TrainLocalOptions, type TrainLocalResult, trainLocal } from "./train-local.js";
export { type WriteIdxShardsOptions, writeIdxShards } from "./write-idx-shards.js";
