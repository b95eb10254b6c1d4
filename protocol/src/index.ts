export {
  type C2dAlgorithmInfo,
  C2dAlgorithmInfoSchema,
  type C2dAttestation,
  C2dAttestationSchema,
  C2dErrorSchema,
  type C2dNodeInfo,
  C2dNodeInfoSchema,
  type C2dRunResult,
  C2dRunResultSchema,
} from "./c2d-messages.js";
export {
  C2D_DOMAIN,
  C2D_RUN_REQUEST_TYPES,
  C2dAlgorithmNameSchema,
  type C2dRunBody,
  C2dRunBodySchema,
  type C2dRunRequest,
  C2dRunRequestSchema,
  c2dRequestDigest,
  MAX_C2D_PARAMS_BYTES,
  recoverC2dRunRequestSigner,
  signC2dRunRequest,
} from "./c2d-request.js";
export { canonicalJson } from "./canonical-json.js";
export {
  CHAIN_EVENT_ARGS,
  type ChainEvent,
  type ChainEventName,
  isAppliedChainEvent,
  parseChainEvent,
} from "./chain-events.js";
export {
  type ChannelsDeployment,
  channelsDomain,
  recoverVoucherSigner,
  type SignedVoucher,
  SignedVoucherSchema,
  type SignedVoucherWire,
  signVoucher,
  VOUCHER_TYPES,
  type Voucher,
  voucherDigest,
  voucherToWire,
} from "./channel-voucher.js";
export {
  type CoordinatorHealth,
  CoordinatorHealthSchema,
  type JobSpecUpload,
  JobSpecUploadSchema,
  type ValidationSetUpload,
  ValidationSetUploadSchema,
} from "./coordinator-answers.js";
export {
  commitmentCid,
  type DatasetManifest,
  DatasetManifestSchema,
  type DatasetShard,
  DatasetShardSchema,
  manifestBytes,
  manifestCid,
  manifestCommitment,
} from "./dataset-manifest.js";
export {
  type ChoiceHints,
  chooseDatasetFiles,
  DatasetChoiceError,
  type DatasetFileChoice,
  type DatasetFileFormat,
  datasetFormatOf,
} from "./datasets/dataset-file-choice.js";
export {
  type DatasetFileBytes,
  type DatasetFiles,
  labelHistogram,
  type ReadDataset,
  readDatasetFiles,
} from "./datasets/dataset-files.js";
export { DatasetFormatError } from "./datasets/dataset-format-error.js";
export { DeltaSchema, EpsilonSchema, PriceSchema } from "./datasets/dataset-terms.js";
export { IDX_TYPES, type IdxArray, type IdxTypeCode, isGzip, maybeGunzip, parseIdx } from "./datasets/idx-format.js";
export type { ParsedRecords } from "./datasets/parsed-records.js";
export {
  EIP712_NAME,
  EIP712_VERSION,
  MODEL_UPDATE_TYPES,
  type ModelUpdateMessage,
  metricsHash,
  modelUpdateMessage,
  recoverModelUpdateMessageSigner,
  recoverModelUpdateSigner,
  signedEpsilon,
  signModelUpdate,
  type TypedDataSigner,
  tributaryDomain,
} from "./eip712.js";
export { type ErrorDetails, TributaryError, type TributaryErrorOptions } from "./errors.js";
export { FIXED18_ONE, fromFixed18, toFixed18 } from "./fixed-point.js";
export {
  type Address,
  AddressSchema,
  type Bytes32,
  Bytes32Schema,
  type Cid,
  CidSchema,
  type DatasetId,
  DatasetIdSchema,
  type JobId,
  JobIdSchema,
  MAX_BIGINT_ID,
  MAX_CID_LENGTH,
  RoundSchema,
  Uint256Schema,
} from "./ids.js";
export {
  type DeterministicModelInfo,
  DeterministicModelInfoSchema,
  INFERENCE_BINARY_TYPE,
  INFERENCE_HEADERS,
  type InferenceBinaryHeaders,
  InferenceBinaryHeadersSchema,
  type InferenceRequest,
  InferenceRequestSchema,
  type InferenceRequestWire,
  type InferenceResponse,
  InferenceResponseSchema,
  type PaymentState,
  PaymentStateSchema,
  type PredictQuery,
  PredictQuerySchema,
  ProviderErrorSchema,
  type ServedModelInfo,
  ServedModelInfoSchema,
} from "./inference-messages.js";
export {
  INFERENCE_RECEIPT_TYPES,
  type InferenceReceipt,
  type RegistryDeployment,
  receiptDigest,
  receiptDomain,
  recoverReceiptSigner,
  signReceipt,
  tensorHash,
} from "./inference-receipt.js";
export {
  type AttestationRequirement,
  AttestationRequirementSchema,
  type ClientSelection,
  ClientSelectionSchema,
  canonicalJobSpecBytes,
  type DpSpec,
  DpSpecSchema,
  type HardwareTeeKind,
  HardwareTeeKindSchema,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  MAX_MODEL_PARAMETERS,
} from "./job-spec.js";
export { jobSpecHash } from "./job-spec-hash.js";
export {
  type LearningRateSchedule,
  LearningRateScheduleSchema,
  roundLearningRate,
} from "./learning-rate-schedule.js";
export {
  type JobLedger,
  JobLedgerSchema,
  type LedgerLeaf,
  LedgerLeafSchema,
  LedgerPayoutSchema,
  type LedgerRound,
  LedgerRoundSchema,
  LedgerTxSchema,
  type PayoutProof,
  PayoutProofSchema,
  type SecAggRoundRecord,
} from "./ledger.js";
export {
  buildPayoutTree,
  buildRoundTree,
  type LeafTree,
  PAYOUT_LEAF_TYPES,
  type PayoutLeaf,
  payoutLeafHash,
  ROUND_LEAF_TYPES,
  type RoundLeaf,
  roundLeafHash,
  SCORE_SCALE,
  verifyPayoutProof,
  verifyRoundProof,
} from "./merkle-leaves.js";
export { epsilonByDataset } from "./metadata-privacy.js";
export {
  layoutLength,
  layoutOffsets,
  type ModelLayout,
  ModelLayoutSchema,
  type TensorSpec,
  TensorSpecSchema,
  tensorSize,
} from "./model-layout.js";
export {
  MAX_MODEL_METADATA_BYTES,
  type ModelMetadata,
  type ModelMetadataInput,
  ModelMetadataSchema,
  type ModelTask,
  ModelTaskSchema,
  maxEpsilon,
  metadataCidOfUri,
  modelMetadataBytes,
  modelMetadataCid,
  modelTask,
} from "./model-metadata.js";
export {
  type Activation,
  ActivationSchema,
  type LayerSpec,
  LayerSpecSchema,
  type ModelSpec,
  type ModelSpecInput,
  ModelSpecSchema,
} from "./model-spec.js";
export {
  type ModelUpdateHeader,
  ModelUpdateHeaderSchema,
  type SignedModelUpdate,
  SignedModelUpdateSchema,
  type UpdateMetrics,
  UpdateMetricsSchema,
} from "./model-update.js";
export {
  OCEAN_COMPUTE_SERVICE,
  OCEAN_DDO_VERSION,
  type OceanDdo,
  OceanDdoSchema,
  type OceanService,
  OceanServiceSchema,
  type TributaryBinding,
  TributaryBindingSchema,
} from "./ocean-ddo.js";
export { type InputIssue, InvalidInputError, parseInput } from "./parse.js";
export { type Contribution, computePayouts, PayoutInputError, type PayoutPlan, payoutFee } from "./payouts.js";
export { type JobSpecSources, type PreparedJobSpec, prepareJobSpec } from "./prepare-job-spec.js";
export {
  announcementToWire,
  PROVIDER_ANNOUNCEMENT_TYPES,
  type ProviderAnnouncement,
  recoverAnnouncementSigner,
  type SignedProviderAnnouncement,
  SignedProviderAnnouncementSchema,
  type SignedProviderAnnouncementWire,
  signAnnouncement,
} from "./provider-announcement.js";
export { FEDAVG_CNN, MLP_784_200_200_10 } from "./reference-models.js";
export {
  ANSWERED_BY_HEADER,
  type AnnouncementAdmitted,
  AnnouncementAdmittedSchema,
  ATTEMPTS_HEADER,
  MAX_PAYMENTS,
  type OfferedPayment,
  PAYMENTS_HEADER,
  parsePaymentsHeader,
  parseVoucherHeader,
  paymentsToHeader,
  type RouteAttempt,
  RouteAttemptSchema,
  RouteAttemptsSchema,
  type RoutedModel,
  RoutedModelSchema,
  type RoutedProvider,
  RoutedProviderSchema,
  type RoutePreference,
  RoutePreferenceSchema,
  VOUCHER_HEADER,
  voucherToHeader,
} from "./routing.js";
export { type ScoringSpec, ScoringSpecSchema } from "./scoring-spec.js";
export {
  MAX_SECAGG_CLIENTS,
  recoverSecAggSigner,
  SECAGG_MESSAGE_TYPES,
  type SecAggAdvertiseKeys,
  SecAggAdvertiseKeysSchema,
  type SecAggMaskedInput,
  SecAggMaskedInputSchema,
  type SecAggNeighbourKeys,
  SecAggNeighbourKeysSchema,
  type SecAggRevealedShare,
  SecAggRevealedShareSchema,
  type SecAggShareCiphertext,
  SecAggShareCiphertextSchema,
  type SecAggShareKeys,
  SecAggShareKeysSchema,
  type SecAggSharesDelivery,
  SecAggSharesDeliverySchema,
  type SecAggStage,
  type SecAggTrainerMessage,
  type SecAggUnmasking,
  SecAggUnmaskingSchema,
  type SecAggUnmaskRequest,
  SecAggUnmaskRequestSchema,
  secAggPayloadHash,
  signSecAggMessage,
} from "./secure-aggregation-messages.js";
export {
  SECAGG_SUM_BOUND,
  type SecureAggregationSpec,
  SecureAggregationSpecSchema,
  secAggScale,
} from "./secure-aggregation-spec.js";
export { SeededRandom } from "./seeded-random.js";
export {
  fetchSignInNonce,
  type MessageSigner,
  NonceResponseSchema,
  OFF_CHAIN_CHAIN_ID,
  type Session,
  SessionSchema,
  SIGN_IN_MESSAGE_TTL_MS,
  SIGN_IN_STATEMENT,
  SignInError,
  type SignInMessageInput,
  type SignInRequest,
  SignInRequestSchema,
  signIn,
  signInMessage,
  trainerHandshakeAuth,
} from "./sign-in.js";
export {
  InvalidSignatureError,
  recoverMessageSigner,
  SignatureSchema,
  signatureProblem,
} from "./signature.js";
export { parseSignedModelUpdate } from "./signed-model-update-parser.js";
export {
  type Ack,
  AckSchema,
  type Attest,
  type AttestationKind,
  AttestationKindSchema,
  AttestSchema,
  type EvaluateInstruction,
  EvaluateInstructionSchema,
  type EvaluationReport,
  EvaluationReportSchema,
  type HandshakeAuth,
  type HandshakeAuthInput,
  HandshakeAuthSchema,
  type Hello,
  HelloSchema,
  type JobClosed,
  JobClosedSchema,
  type JobOpened,
  JobOpenedSchema,
  type Join,
  JoinSchema,
  type Login,
  LoginSchema,
  loginMessage,
  MAX_ATTESTATION_BYTES,
  type Refusal,
  RefusalSchema,
  SOCKET_EVENTS,
} from "./socket-messages.js";
export { inferModelShapes, layoutFromSpec, ModelSpecError } from "./spec-layout.js";
export { StoredTextSchema } from "./stored-text.js";
export { type StrategyName, type StrategySpec, StrategySpecSchema } from "./strategy-spec.js";
export {
  type SecAggInstruction,
  SecAggInstructionSchema,
  type TrainInstruction,
  TrainInstructionSchema,
} from "./train-instruction.js";
export {
  type HandshakeRefusal,
  HandshakeRefusalSchema,
  handshakeRefusalOf,
  handshakeRefusalText,
  parseSignInHeader,
  SIGN_IN_HEADER,
  signInHeaders,
  TRAINER_TRANSPORTS,
} from "./trainer-handshake.js";
export {
  decodeValidationSet,
  encodeValidationSet,
  VALIDATION_SET_VERSION,
  type ValidationSet,
  ValidationSetFormatError,
} from "./validation-set.js";
export {
  parseVerificationOutcomeEvent,
  VERIFICATION_OUTCOME_EVENT_ARGS,
  type VerificationOutcomeEventArgs,
  type VerificationOutcomeEventName,
} from "./verification-outcome-events.js";
export {
  parseVerifierEvent,
  REQUESTS_PATH,
  RequestHashParamsSchema,
  VERIFIER_EVENT_ARGS,
  type VerifierEventArgs,
  type VerifierEventName,
} from "./verifier-events.js";
export {
  buildModule,
  F32,
  F64,
  FunctionBuilder,
  I32,
  Simd,
  V128,
  type ValueType,
} from "./wasm-module-builder.js";
export {
  instantiate,
  WASM_PAGE,
  Wasm,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
} from "./wasm-runtime.js";
export {
  type JobChange,
  type JobChangeKind,
  JobChangeKindSchema,
  JobChangeSchema,
  WATCH_EVENTS,
  WATCH_PATH,
  type WatchAuth,
  WatchAuthSchema,
  type WatchRequest,
  WatchRequestSchema,
} from "./watch-messages.js";
export { bytesToWeights, weightsToBytes, weightsView } from "./weights-bytes.js";
