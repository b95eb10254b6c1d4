export {
  DeterministicInputError,
  QuantisationError,
  QuantisedModelError,
  UnsupportedLayerError,
} from "./deterministic-errors.js";
export { type DeterministicAnswer, DeterministicModel } from "./deterministic-model.js";
export {
  ACTIVATION_LIMIT,
  BIAS_LIMIT,
  DEFAULT_ACTIVATION_FRACTION_BITS,
  MAX_ACTIVATION_FRACTION_BITS,
  MAX_FAN_IN,
  MAX_WEIGHT_FRACTION_BITS,
  roundHalfUp,
  roundShift,
  saturate,
  WEIGHT_LIMIT,
} from "./fixed-point-format.js";
export { FixedPointRunner } from "./fixed-point-runner.js";
export {
  deterministicRequestHash,
  deterministicResponseHash,
  MESSAGE_FORMAT_VERSION,
  quantisedModelHash,
  REQUEST_MAGIC,
  RESPONSE_MAGIC,
  requestBytes,
  responseBytes,
} from "./inference-hashes.js";
export {
  type DecodedRequest,
  type DecodedResponse,
  decodeRequestBytes,
  decodeResponseBytes,
} from "./message-decoding.js";
export { decodeQuantisedModel, encodeQuantisedModel, MODEL_FORMAT_VERSION, MODEL_MAGIC } from "./model-bytes.js";
export { type ModelPlan, planModel, type WindowAxis, windowAxis } from "./model-plan.js";
export { dequantise, quantiseInputs } from "./quantise-inputs.js";
export { type QuantiseOptions, quantiseModel } from "./quantise-model.js";
export type {
  QuantisedConv2d,
  QuantisedDense,
  QuantisedFlatten,
  QuantisedLayer,
  QuantisedMaxPool2d,
  QuantisedModel,
  QuantisedRelu,
  WindowPadding,
} from "./quantised-model.js";
