import type { Bytes32 } from "@tributary/protocol";
import { getBytes, sha256 } from "ethers";
import { DeterministicInputError } from "./deterministic-errors.js";
import { encodeQuantisedModel } from "./model-bytes.js";
import type { QuantisedModel } from "./quantised-model.js";

/**
 * The canonical bytes of a deterministic request and response, and the SHA-256 hashes a receipt signs. Little-endian:
 *
 * ```
 * request  "TDIQ" | u8 version = 1 | modelHash (32 bytes) | u32 count | u32 inputSize  | count·inputSize × i32 inputs
 * response "TDIR" | u8 version = 1 | requestHash (32 bytes) | u32 count | u32 outputSize | count·outputSize × i32 logits
 * ```
 *
 * `modelHash` = SHA-256 of `encodeQuantisedModel`; inputs are the quantised inputs (`quantiseInputs`), examples one
 * after another, each row-major; logits are the runner's, in the same order. The response names its request's hash,
 * which names the model's, so one `responseHash` pins the model, the inputs and the answer.
 */
export const REQUEST_MAGIC = "TDIQ";
export const RESPONSE_MAGIC = "TDIR";
export const MESSAGE_FORMAT_VERSION = 1;

/** `modelHash`: SHA-256 of the model's canonical bytes, 0x-prefixed. */
export function quantisedModelHash(model: QuantisedModel): Bytes32 {
  return sha256(encodeQuantisedModel(model)) as Bytes32;
}

function messageBytes(magic: string, hash: string, rowSize: number, values: Int32Array): Uint8Array {
  if (!Number.isInteger(rowSize) || rowSize < 1 || values.length === 0 || values.length % rowSize !== 0) {
    throw new DeterministicInputError(`${values.length} values are not whole rows of ${rowSize}`, {
      rowSize,
      length: values.length,
    });
  }
  const bytes = new Uint8Array(4 + 1 + 32 + 8 + values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
  bytes[4] = MESSAGE_FORMAT_VERSION;
  bytes.set(getBytes(hash), 5);
  view.setUint32(37, values.length / rowSize, true);
  view.setUint32(41, rowSize, true);
  for (let i = 0; i < values.length; i++) view.setInt32(45 + i * 4, values[i] as number, true);
  return bytes;
}

/** A request's canonical bytes: the model's hash and the quantised inputs, `inputSize` per example. */
export function requestBytes(modelHash: Bytes32, inputSize: number, inputs: Int32Array): Uint8Array {
  return messageBytes(REQUEST_MAGIC, modelHash, inputSize, inputs);
}

/** A response's canonical bytes: the request's hash and the logits, `outputSize` per example. */
export function responseBytes(requestHash: Bytes32, outputSize: number, logits: Int32Array): Uint8Array {
  return messageBytes(RESPONSE_MAGIC, requestHash, outputSize, logits);
}

/** `requestHash`: SHA-256 of `requestBytes`. */
export function deterministicRequestHash(modelHash: Bytes32, inputSize: number, inputs: Int32Array): Bytes32 {
  return sha256(requestBytes(modelHash, inputSize, inputs)) as Bytes32;
}

/** `responseHash`: SHA-256 of `responseBytes`. */
export function deterministicResponseHash(requestHash: Bytes32, outputSize: number, logits: Int32Array): Bytes32 {
  return sha256(responseBytes(requestHash, outputSize, logits)) as Bytes32;
}
