export type { AttestationClaims, AttestationDocument, AttestationVerifier, Enclave, TeeKind } from "./attestation.js";
export { type AttestationCheck, type AttestationPolicy, checkAttestation } from "./attestation-policy.js";
export { AttestationRejectedError, type AttestationRejection } from "./attestation-rejected-error.js";
export {
  type DcapCollateral,
  DcapCollateralSchema,
  parseDcapCollateral,
  type TcbStatus,
} from "./dcap/collateral.js";
export type { DcapCheck } from "./dcap/dcap-rejection.js";
export {
  DcapAttestationVerifier,
  type DcapCollateralSource,
  type DcapKind,
  type DcapVerification,
  type DcapVerifierOptions,
} from "./dcap/dcap-verifier.js";
export { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from "./dcap/intel-root-ca.js";
export { type DcapQuote, parseDcapQuote } from "./dcap/quote-parser.js";
export { DEFAULT_TCB_POLICY, type TcbPolicy } from "./dcap/tcb-policy.js";
export type { TcbEvaluation, TcbVerdict } from "./dcap/tcb-status.js";
export {
  SIMULATED_FORMAT,
  SIMULATED_MEASUREMENT,
  SIMULATED_WARNING,
  SimulatedEnclave,
  type SimulatedEnclaveOptions,
} from "./simulated-enclave.js";
export { SimulatedAttestationVerifier } from "./simulated-verifier.js";
export { attestationUserData } from "./user-data.js";
