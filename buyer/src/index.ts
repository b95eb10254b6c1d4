export { ChannelPayer, type ChannelSpending } from "./channel-payer.js";
export { InferenceClient, type Prediction, ProviderRefusedError } from "./inference-client.js";
export { checkReceipt, flatten, ReceiptMismatchError } from "./receipt-check.js";
