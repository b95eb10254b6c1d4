import { TributaryError } from "@tributary/protocol";

/**
 * A TEE provider cannot produce attestations here: the device or interface it needs is missing or says it is not
 * inside the kind of enclave asked for. The message says what was looked for, what was found, and what to do.
 */
export class EnclaveUnavailableError extends TributaryError {
  constructor(kind: string, message: string, details: Record<string, unknown> = {}) {
    super("ENCLAVE_UNAVAILABLE", `${kind} enclave unavailable: ${message}`, { details: { kind, ...details } });
  }
}
