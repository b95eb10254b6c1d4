export type { AttestationClaims, AttestationDocument, AttestationVerifier, Enclave, TeeKind } from "./attestation.js";
export {
  type AttestationCheck,
  type AttestationPolicy,
  checkAttestation,
  enforceClaimsPolicy,
} from "./attestation-policy.js";
export { AttestationRejectedError, type AttestationRejection } from "./attestation-rejected-error.js";
export {
  ALLOWABLE_TCB_STATUSES,
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
export { quoteFmspc as dcapQuoteFmspc } from "./dcap/pck-certificate.js";
export { type DcapQuote, parseDcapQuote } from "./dcap/quote-parser.js";
export { DEFAULT_TCB_POLICY, type TcbPolicy } from "./dcap/tcb-policy.js";
export type { TcbEvaluation, TcbVerdict } from "./dcap/tcb-status.js";
export { type CoseSign1, coseSign1SigStructure, decodeCoseSign1, verifyCoseSign1Es384 } from "./nitro/cose-sign1.js";
export { type NitroAttestationDocument, parseNitroAttestationDocument } from "./nitro/nitro-attestation-document.js";
export {
  DEFAULT_NITRO_MAX_AGE_MS,
  type NitroAttestationClaims,
  NitroAttestationVerifier,
  type NitroVerifierOptions,
} from "./nitro/nitro-attestation-verifier.js";
export { checkNitroBinding, type NitroBindingExpectation, nitroSignerAddress } from "./nitro/nitro-binding.js";
export {
  AWS_NITRO_ROOT_FINGERPRINT,
  type NitroCertificateChain,
  normalizeFingerprint,
  type VerifiedCertificate,
  verifyNitroCertificateChain,
} from "./nitro/nitro-certificate-chain.js";
export { checkNitroPcrs, type NitroPcrAllowance } from "./nitro/nitro-pcr-policy.js";
export { EnclaveUnavailableError } from "./providers/enclave-unavailable-error.js";
export { GRAMINE_ATTESTATION_DIR, GramineSgxEnclave } from "./providers/gramine-sgx-enclave.js";
export { NitroEnclave, type NitroEnclaveOptions, NSM_DEVICE } from "./providers/nitro-enclave.js";
export { dcapReportData } from "./providers/report-data.js";
export { TdxEnclave, TSM_REPORT_DIR } from "./providers/tdx-enclave.js";
export {
  SIMULATED_FORMAT,
  SIMULATED_MEASUREMENT,
  SIMULATED_WARNING,
  SimulatedEnclave,
  type SimulatedEnclaveOptions,
} from "./simulated-enclave.js";
export { SimulatedAttestationVerifier } from "./simulated-verifier.js";
export { checkTrainerAttestation, type TrainerAttestationCheck } from "./trainer-attestation.js";
export { attestationUserData } from "./user-data.js";
