import type { Bytes32 } from "@tributary/protocol";
import { hexlify } from "ethers";
import { DeterministicInputError } from "./deterministic-errors.js";
import { MESSAGE_FORMAT_VERSION, REQUEST_MAGIC, RESPONSE_MAGIC } from "./inference-hashes.js";

/** A decoded canonical request: the quantised model it names and its quantised inputs, `inputSize` per example. */
export interface DecodedRequest {
  readonly modelHash: Bytes32;
  readonly count: number;
  readonly inputSize: number;
  readonly inputs: Int32Array;
}

/** A decoded canonical response: the request it answers and its integer logits, `outputSize` per example. */
export interface DecodedResponse {
  readonly requestHash: Bytes32;
  readonly count: number;
  readonly outputSize: number;
  readonly logits: Int32Array;
}

const HEADER = 4 + 1 + 32 + 8;

/** The header and values of a message; refuses any byte string that is not exactly one message of `magic`. */
function decodeMessage(magic: string, bytes: Uint8Array) {
  const refuse = (reason: string) => {
    throw new DeterministicInputError(`not a canonical ${magic} message: ${reason}`, { length: bytes.length });
  };
  if (bytes.length < HEADER) refuse(`${bytes.length} bytes, shorter than the ${HEADER}-byte header`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic.charCodeAt(i)) refuse("wrong magic");
  if (bytes[4] !== MESSAGE_FORMAT_VERSION) refuse(`version ${bytes[4]}, not ${MESSAGE_FORMAT_VERSION}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(37, true);
  const rowSize = view.getUint32(41, true);
  if (count < 1 || rowSize < 1) refuse(`${count} rows of ${rowSize}`);
  const values = count * rowSize;
  if (bytes.length !== HEADER + values * 4) {
    refuse(`${bytes.length} bytes, not ${HEADER} + 4 × ${count} × ${rowSize}`);
  }
  const out = new Int32Array(values);
  for (let i = 0; i < values; i++) out[i] = view.getInt32(HEADER + i * 4, true);
  return { hash: hexlify(bytes.subarray(5, 37)) as Bytes32, count, rowSize, values: out };
}

/** The inverse of `requestBytes`: `DeterministicInputError` for anything that is not exactly one request. */
export function decodeRequestBytes(bytes: Uint8Array): DecodedRequest {
  const { hash, count, rowSize, values } = decodeMessage(REQUEST_MAGIC, bytes);
  return { modelHash: hash, count, inputSize: rowSize, inputs: values };
}

/** The inverse of `responseBytes`: `DeterministicInputError` for anything that is not exactly one response. */
export function decodeResponseBytes(bytes: Uint8Array): DecodedResponse {
  const { hash, count, rowSize, values } = decodeMessage(RESPONSE_MAGIC, bytes);
  return { requestHash: hash, count, outputSize: rowSize, logits: values };
}
