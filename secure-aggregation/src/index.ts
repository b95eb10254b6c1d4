export { CommunicationGraph } from "./communication-graph.js";
export { SecAggAbortedError, SecAggMessageError, SecAggRefusedError } from "./errors.js";
export { bytesToWords, wordsToBytes } from "./mask-stream.js";
export { checkQuantisationFits, dequantiseSum, quantisationErrorBound, quantise } from "./quantise.js";
export { type RandomBytes, secureRandomBytes } from "./random-bytes.js";
export { SecAggClient } from "./secagg-client.js";
export { roundGraph, type SecAggRoundContext } from "./secagg-round.js";
export { type SecAggResult, SecAggServer } from "./secagg-server.js";
export { reconstructSecret, SHAMIR_PRIME, type ShamirShare, splitSecret } from "./shamir.js";
