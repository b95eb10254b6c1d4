import { type ErrorDetails, TributaryError } from "@tributary/protocol";

/** A quantised model the inference circuit does not cover (a convolution, a dense layer over positions, …). */
export class CircuitUnsupportedError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("ZK_CIRCUIT_UNSUPPORTED", `inference circuit: ${message}`, { details });
  }
}

/**
 * A model's circuit artifacts disagree with each other or with the model: a file whose SHA-256 is not the
 * manifest's, a manifest for another model, a verification key that is not the proving key's.
 */
export class CircuitArtifactsError extends TributaryError {
  constructor(file: string, message: string, details: ErrorDetails = {}) {
    super("ZK_CIRCUIT_ARTIFACTS", `${file}: ${message}`, { details: { file, ...details } });
  }
}

/** An input the circuit cannot prove: not whole examples of the model's size, a value that is not finite. */
export class CircuitInputError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("ZK_CIRCUIT_INPUT", `inference circuit: ${message}`, { details });
  }
}

/** snarkjs or the circom compiler failed (compilation, witness, setup, proof). */
export class CircomToolError extends TributaryError {
  constructor(step: string, reason: string, cause?: unknown) {
    super("ZK_CIRCOM_FAILED", `circom/snarkjs failed to ${step}: ${reason}`, { details: { step, reason }, cause });
  }
}
