export type { AttestationClaims, AttestationDocument, AttestationVerifier, Enclave, TeeKind } from "./attestation.js";
export { type AttestationCheck, type AttestationPolicy, checkAttestation } from "./attestation-policy.js";
export { AttestationRejectedError, type AttestationRejection } from "./attestation-rejected-error.js";
export { type BuildModelOptions, buildModel, modelSpecOf } from "./model-runtime/build-model.js";
export {
  BackendUnavailableError,
  EvaluatorDisposedError,
  ModelInputError,
  WeightsLengthError,
} from "./model-runtime/errors.js";
export { type EvaluationResult, evaluate } from "./model-runtime/evaluate.js";
export { getFlatWeights, parameterCount, setFlatWeights } from "./model-runtime/flat-weights.js";
export { featureSize, type LabelledExamples } from "./model-runtime/labelled-examples.js";
export {
  BACKEND_PREFERENCE,
  ensureModelBackend,
  type InitModelBackendOptions,
  initModelBackend,
  type ModelBackendInfo,
  type ModelBackendName,
} from "./model-runtime/model-backend.js";
export { type ModelObjective, modelObjective } from "./model-runtime/model-objective.js";
export {
  createValidationEvaluator,
  type ValidationEvaluator,
  type ValidationEvaluatorOptions,
  type ValidationScore,
} from "./model-runtime/validation-evaluator.js";
export {
  SIMULATED_FORMAT,
  SIMULATED_MEASUREMENT,
  SIMULATED_WARNING,
  SimulatedEnclave,
  type SimulatedEnclaveOptions,
} from "./simulated-enclave.js";
export { SimulatedAttestationVerifier } from "./simulated-verifier.js";
export { attestationUserData } from "./user-data.js";
