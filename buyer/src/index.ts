export { ChannelPayer, type ChannelPayerState, type ChannelSpending } from "./channel-payer.js";
export {
  type ChannelPayerStateWire,
  ChannelPayerStateWireSchema,
  payerStateFromWire,
  payerStateToWire,
  resumedPayerState,
} from "./channel-payer-state.js";
export {
  InferenceClient,
  type PersistPayers,
  type Prediction,
  type PredictOptions,
  type VerifiableOptions,
} from "./inference-client.js";
export { ProviderRefusedError } from "./provider-refusal.js";
export { checkReceipt, flatten, ReceiptMismatchError } from "./receipt-check.js";
export {
  checkRequestBytes,
  MemoryRequestStore,
  RequestHashMismatchError,
  type RequestStore,
} from "./request-store.js";
export {
  type RouteChoice,
  type RoutedChannel,
  RoutedInferenceClient,
  type RoutedPrediction,
} from "./routed-inference-client.js";
export { TaskSampler } from "./task-sampler.js";
export { checkVerifiableReceipt, type VerifiedRequest } from "./verifiable-receipt.js";
