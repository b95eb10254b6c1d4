import { TributaryError } from "@tributary/protocol";

/**
 * A publisher's EZKL artifacts disagree with each other: `settings.json` does not describe the compiled circuit
 * (its logrows differ from the circuit's, its scales decode the circuit's values differently), the SRS is too
 * small, or the settings ask for something this adapter does not do. `file` and `field` name what is wrong.
 */
export class EzklArtifactsError extends TributaryError {
  constructor(file: string, field: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super("EZKL_ARTIFACTS_INCONSISTENT", `${file} ${field}: ${message}`, { details: { file, field, ...details } });
  }
}

/** The EZKL engine refused or failed on a step other than verification (witness, keys, proof). */
export class EzklEngineError extends TributaryError {
  constructor(step: string, reason: string, cause?: unknown) {
    super("EZKL_ENGINE_FAILED", `the EZKL engine failed to ${step}: ${reason}`, { details: { step, reason }, cause });
  }
}
