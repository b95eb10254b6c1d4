import {
  requestBytes as canonicalRequestBytes,
  deterministicResponseHash,
  quantiseInputs,
} from "@tributary/deterministic-inference";
import type {
  Bytes32,
  DeterministicModelInfo,
  InferenceReceipt,
  InferenceResponse,
  ServedModelInfo,
} from "@tributary/protocol";
import { sha256 } from "ethers";
import { checkSignedReceipt, flatten, ReceiptMismatchError, type SentRequest } from "./receipt-check.js";

/**
 * What a verifiable answer lets the buyer keep and prove: the canonical request bytes (whose SHA-256 is
 * `requestHash`, the `inputHash` of an OptimisticVerifier task), and the response hash the provider signed for them.
 */
export interface VerifiedRequest {
  readonly requestHash: Bytes32;
  readonly responseHash: Bytes32;
  /** deterministic-inference's canonical request bytes: the quantised model's hash and the quantised inputs. */
  readonly requestBytes: Uint8Array;
  /** The quantised model the answer names, and the fractional bits of its integer logits. */
  readonly deterministic: DeterministicModelInfo;
}

const product = (shape: readonly number[]) => shape.reduce((total, size) => total * size, 1);

/** The integer logits of the answer, flat; a problem for anything that is not `count` rows of int32 `outputSize`. */
function logitsOf(response: InferenceResponse, count: number, outputSize: number, problems: string[]): Int32Array {
  const logits = new Int32Array(count * outputSize);
  if (response.outputs.length !== count) {
    problems.push(`${response.outputs.length} answers to ${count} examples`);
    return logits;
  }
  response.outputs.forEach((row, example) => {
    if (row.length !== outputSize) problems.push(`answer ${example} has ${row.length} values, not ${outputSize}`);
    row.forEach((value, index) => {
      if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        problems.push(`answer ${example} holds ${value}, not an int32 logit`);
      }
      logits[example * outputSize + index] = value;
    });
  });
  return logits;
}

/**
 * Checks a verifiable answer (`?verifiable=1`) with deterministic-inference, without the model: the request hash is
 * recomputed from the canonical request bytes (the inputs sent, quantised at the answer's fractional bits, and the
 * quantised model's hash the provider announced in `GET /v1/model`), the response hash from the integer logits
 * received; the answer must name the announced quantised model; then the provider's signed receipt over both
 * (`checkSignedReceipt`). Returns the receipt and the request bytes to keep for challengers. Whether the logits are
 * the model's is what a challenger checks, with the weights.
 */
export function checkVerifiableReceipt(
  info: ServedModelInfo,
  request: SentRequest,
  response: InferenceResponse,
): { readonly receipt: InferenceReceipt; readonly verified: VerifiedRequest } {
  const announced = info.deterministic;
  const named = response.deterministic;
  if (announced === undefined) {
    throw new ReceiptMismatchError(`provider ${info.provider} announced no deterministic path for its model`);
  }
  if (named === undefined || named.modelHash !== announced.modelHash || named.fractionBits !== announced.fractionBits) {
    throw new ReceiptMismatchError(
      `the provider's answer is not trustworthy: it names the quantised model ${named?.modelHash ?? "(none)"}, not the announced ${announced.modelHash}`,
    );
  }
  const floats = request.inputs instanceof Float32Array ? request.inputs : flatten(request.inputs);
  const inputSize = product(info.inputShape);
  const outputSize = product(info.outputShape);
  const count = floats.length / inputSize;
  const problems: string[] = [];
  let bytes: Uint8Array;
  try {
    const quantised = quantiseInputs({ activationFractionBits: announced.fractionBits }, floats);
    bytes = canonicalRequestBytes(announced.modelHash, inputSize, quantised);
  } catch (error) {
    throw new ReceiptMismatchError(`the inputs sent have no canonical request: ${(error as Error).message}`);
  }
  const requestHash = sha256(bytes) as Bytes32;
  const logits = logitsOf(response, count, outputSize, problems);
  const responseHash = deterministicResponseHash(requestHash, outputSize, logits);
  const receipt = checkSignedReceipt(info, request, response, { requestHash, responseHash }, problems);
  return { receipt, verified: { requestHash, responseHash, requestBytes: bytes, deterministic: announced } };
}
