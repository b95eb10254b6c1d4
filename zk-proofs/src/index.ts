export {
  CircomToolError,
  CircuitArtifactsError,
  CircuitInputError,
  CircuitUnsupportedError,
} from "./circom/circom-errors.js";
export {
  CIRCUIT_FILES,
  CIRCUIT_MANIFEST,
  type CircuitManifest,
  CircuitManifestSchema,
} from "./circom/circuit-manifest.js";
export { type CircuitSetup, type CircuitSetupOptions, setupInferenceCircuit } from "./circom/circuit-setup.js";
export {
  type Groth16VerificationKey,
  Groth16VerificationKeySchema,
  releaseProverThreads,
  verifyExampleProof,
} from "./circom/groth16-verification.js";
export { InferenceCircuit, type InferenceVerification } from "./circom/inference-circuit.js";
export {
  type CircuitLayer,
  type InferenceCircuitSource,
  inferenceCircuitSource,
} from "./circom/inference-circuit-source.js";
export {
  type ExampleProof,
  ExampleProofSchema,
  type InferenceProof,
  InferenceProofSchema,
  proofCalldata,
} from "./circom/inference-proof.js";
export { packValues, unpackValues, VALUES_PER_WORD, wordsFor } from "./circom/packed-values.js";
export { type PowersOfTau, powersOfTau } from "./circom/powers-of-tau.js";
export { findInferenceCircuit, SHIPPED_CIRCUITS_DIR } from "./circom/shipped-circuits.js";
export { EZKL_ARTIFACT_FILES, type EzklArtifacts, loadEzklArtifacts } from "./ezkl/ezkl-artifacts.js";
export { EzklCircuit, type EzklProofResult, type EzklVerification } from "./ezkl/ezkl-circuit.js";
export { EzklArtifactsError, EzklEngineError } from "./ezkl/ezkl-errors.js";
export {
  type EzklInput,
  EzklInputSchema,
  type EzklProof,
  EzklProofSchema,
  parseJsonFile,
} from "./ezkl/ezkl-json-files.js";
export { type EzklSettings, EzklSettingsSchema } from "./ezkl/ezkl-settings.js";
export { type EzklTimings, timeEzklProof } from "./ezkl/ezkl-timing.js";
export { BN254_SCALAR_FIELD, feltToBigInt, feltToFloat, quantise } from "./ezkl/felt.js";
