export { type BuildModelOptions, buildModel, modelSpecOf } from "./build-model.js";
export { BackendUnavailableError, EvaluatorDisposedError, ModelInputError, WeightsLengthError } from "./errors.js";
export { type EvaluationResult, evaluate } from "./evaluate.js";
export { getFlatWeights, parameterCount, setFlatWeights } from "./flat-weights.js";
export {
  type KernelTrainer,
  type KernelTrainerOptions,
  kernelTrainerFor,
  profileKernelStep,
} from "./kernel-training/kernel-trainer.js";
export { featureSize, type LabelledExamples } from "./labelled-examples.js";
export { LAYERS_MODEL_WEIGHTS_FILE, type LayersModelFiles, layersModelFiles } from "./layers-model-files.js";
export {
  BACKEND_PREFERENCE,
  ensureModelBackend,
  type InitModelBackendOptions,
  initModelBackend,
  type ModelBackendInfo,
  type ModelBackendName,
} from "./model-backend.js";
export { type ModelObjective, modelObjective } from "./model-objective.js";
export { threadEntry } from "./thread-entry.js";
export { createThreadedValidationEvaluator } from "./threaded-validation-evaluator.js";
export { type TrainSgdOptions, trainSgd } from "./train-sgd.js";
export { type InitTrainingBackendOptions, initTrainingBackend } from "./training-backend.js";
export {
  createValidationEvaluator,
  type ValidationEvaluator,
  type ValidationEvaluatorOptions,
  type ValidationScore,
} from "./validation-evaluator.js";
export { registerWasmTrainingKernels } from "./wasm-kernels/wasm-training-kernels.js";
