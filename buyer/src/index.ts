export { ChannelPayer, type ChannelPayerState, type ChannelSpending } from "./channel-payer.js";
export { InferenceClient, type PersistPayers, type Prediction } from "./inference-client.js";
export { ProviderRefusedError } from "./provider-refusal.js";
export { checkReceipt, flatten, ReceiptMismatchError } from "./receipt-check.js";
export {
  type RouteChoice,
  type RoutedChannel,
  RoutedInferenceClient,
  type RoutedPrediction,
} from "./routed-inference-client.js";
