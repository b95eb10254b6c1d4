import {
  type Bytes32,
  type InferenceReceipt,
  type InferenceResponse,
  recoverReceiptSigner,
  type ServedModelInfo,
  TributaryError,
  tensorHash,
} from "@tributary/protocol";

/** An answer that does not hold together: the buyer must not trust its outputs. */
export class ReceiptMismatchError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("RECEIPT_MISMATCH", message, { details });
  }
}

/** Nested arrays of numbers, flattened in row-major order as float32 (as the provider hashes them). */
export function flatten(values: readonly unknown[]): Float32Array {
  const out: number[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else out.push(value as number);
  };
  walk(values);
  return Float32Array.from(out);
}

/** What the buyer sent: the request id, the inputs (nested arrays or float32 values) and the price it agreed. */
export interface SentRequest {
  readonly requestId: string;
  readonly inputs: readonly unknown[] | Float32Array;
  readonly price: bigint;
}

/**
 * Checks an answer against what was sent, what was agreed and the hashes the buyer recomputed itself: the request
 * id, the model's hash, the price, the request and response hashes, and the provider's EIP-712 signature over the
 * receipt built from them. Returns the receipt. `extra` adds problems found by the caller (a verifiable answer's
 * deterministic model).
 */
export function checkSignedReceipt(
  info: ServedModelInfo,
  request: SentRequest,
  response: InferenceResponse,
  recomputed: { readonly requestHash: Bytes32; readonly responseHash: Bytes32 },
  extra: readonly string[] = [],
): InferenceReceipt {
  const receipt: InferenceReceipt = {
    requestId: response.requestId,
    modelHash: response.modelHash,
    requestHash: recomputed.requestHash,
    responseHash: recomputed.responseHash,
    price: BigInt(response.price),
  };
  const problems = [...extra];
  if (receipt.requestId !== request.requestId.toLowerCase()) problems.push("the request id is not the one sent");
  if (receipt.modelHash !== info.modelHash) problems.push(`the model hash is not ${info.modelHash}`);
  if (receipt.price !== request.price) problems.push(`the price ${receipt.price} is not ${request.price}`);
  if (receipt.requestHash !== response.requestHash) problems.push("the request hash is not the inputs'");
  if (receipt.responseHash !== response.responseHash) problems.push("the response hash is not the outputs'");
  const deployment = { chainId: BigInt(info.chainId), modelRegistry: info.modelRegistry };
  if (problems.length === 0 && recoverReceiptSigner(deployment, receipt, response.signature) !== info.provider) {
    problems.push(`the receipt is not signed by the provider ${info.provider}`);
  }
  if (problems.length > 0)
    throw new ReceiptMismatchError(`the provider's answer is not trustworthy: ${problems.join("; ")}`);
  return receipt;
}

/**
 * Checks a float answer: its receipt's hashes are the `tensorHash`es of the inputs sent (nested arrays, or the float32
 * values of a binary request) and of the outputs received, recomputed here (`checkSignedReceipt`). Returns the
 * receipt.
 */
export function checkReceipt(
  info: ServedModelInfo,
  request: SentRequest,
  response: InferenceResponse,
): InferenceReceipt {
  const extra = response.deterministic === undefined ? [] : ["a verifiable answer to a float request"];
  return checkSignedReceipt(
    info,
    request,
    response,
    {
      requestHash: tensorHash(request.inputs instanceof Float32Array ? request.inputs : flatten(request.inputs)),
      responseHash: tensorHash(flatten(response.outputs)),
    },
    extra,
  );
}
