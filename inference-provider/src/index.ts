export { ChannelBook, type ChannelView } from "./channel-book.js";
export { type BatchResult, DynamicBatcher } from "./dynamic-batcher.js";
export { InferenceInputError, inputTensor } from "./input-tensor.js";
export { BATCH_SIZE_HEADER } from "./provider-routes.js";
export {
  type ProviderService,
  type ProviderServiceOptions,
  type RegisteredModel,
  startProviderService,
} from "./provider-service.js";
export { ReceiptSigner } from "./receipt-signer.js";
export { type LoggedRequest, REQUEST_LOG_DEFAULTS, RequestLog, type RequestLogLimits } from "./request-log.js";
export { loadServedModel, type ServedModel } from "./served-model.js";
export { readStoredJson, writeFileDurably } from "./stored-file.js";
export { type ChannelAccount, PaymentRefusedError, VoucherLedger } from "./voucher-ledger.js";
export { VoucherStore, voucherStoreFile } from "./voucher-store.js";
export { VoucherVerifier } from "./voucher-verifier.js";
