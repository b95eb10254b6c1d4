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
