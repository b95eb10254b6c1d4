export type { AttestationClaims, AttestationDocument, AttestationVerifier, Enclave, TeeKind } from "./attestation.js";
export { type AttestationCheck, type AttestationPolicy, checkAttestation } from "./attestation-policy.js";
export { AttestationRejectedError, type AttestationRejection } from "./attestation-rejected-error.js";
export {
  SIMULATED_FORMAT,
  SIMULATED_MEASUREMENT,
  SIMULATED_WARNING,
  SimulatedEnclave,
  type SimulatedEnclaveOptions,
} from "./simulated-enclave.js";
export { SimulatedAttestationVerifier } from "./simulated-verifier.js";
export { attestationUserData } from "./user-data.js";
