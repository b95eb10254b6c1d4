import { type ErrorDetails, TributaryError } from "@tributary/protocol";

/** A layer (or an activation) the fixed-point path does not evaluate: sigmoid, tanh, softmax before the end. */
export class UnsupportedLayerError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("DETERMINISTIC_UNSUPPORTED_LAYER", `deterministic inference: ${message}`, { details });
  }
}

/**
 * Float weights that cannot be quantised within the format's bounds: a wrong length, a value that is not finite,
 * a weight or bias too large for the integer ranges, a fan-in over `MAX_FAN_IN`.
 */
export class QuantisationError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("DETERMINISTIC_QUANTISATION", `deterministic inference: ${message}`, { details });
  }
}

/** A quantised model (built by hand or decoded from bytes) that breaks the format: shapes, ranges, bytes. */
export class QuantisedModelError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("DETERMINISTIC_MODEL", `quantised model: ${message}`, { details });
  }
}

/** Inputs that do not fit the model: a length that is not whole examples, a value not finite or out of range. */
export class DeterministicInputError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("DETERMINISTIC_INPUT", `deterministic inference: ${message}`, { details });
  }
}
