import { sha256, TypedDataEncoder, type TypedDataField, verifyTypedData } from "ethers";
import { type TypedDataSigner, tributaryDomain } from "./eip712.js";
import type { Address, Bytes32 } from "./ids.js";
import { recoverOrThrow } from "./signature.js";
import { weightsToBytes } from "./weights-bytes.js";

/**
 * `InferenceReceipt(bytes32 requestId,bytes32 modelHash,bytes32 requestHash,bytes32 responseHash,uint256 price)`:
 * what a provider signs for every answer, under the domain of the deployment's `ModelRegistry` (where the model
 * and its hash are registered), so a buyer or a verifier can hold the provider to what it answered and charged.
 */
export const INFERENCE_RECEIPT_TYPES: Record<string, TypedDataField[]> = {
  InferenceReceipt: [
    { name: "requestId", type: "bytes32" },
    { name: "modelHash", type: "bytes32" },
    { name: "requestHash", type: "bytes32" },
    { name: "responseHash", type: "bytes32" },
    { name: "price", type: "uint256" },
  ],
};

/** The `ModelRegistry` deployment a receipt is signed under. */
export interface RegistryDeployment {
  readonly chainId: bigint;
  /** The ModelRegistry contract, lower case. */
  readonly modelRegistry: Address;
}

export interface InferenceReceipt {
  /** Chosen by the buyer, unique per request. */
  readonly requestId: Bytes32;
  /** The served model's `modelHash` on ModelRegistry (SHA-256 of its flat weights). */
  readonly modelHash: Bytes32;
  /** `tensorHash` of the inputs as the model received them. */
  readonly requestHash: Bytes32;
  /** `tensorHash` of the outputs as answered. */
  readonly responseHash: Bytes32;
  /** What the request cost, in the model's payment token's base units. */
  readonly price: bigint;
}

/**
 * SHA-256 of a tensor's values as little-endian float32, examples one after another, each row-major: how a
 * request's inputs and a response's outputs are hashed. JSON numbers that are float32 values round-trip exactly,
 * so a buyer recomputes both from the JSON it sent and received.
 */
export function tensorHash(values: Float32Array): Bytes32 {
  return sha256(weightsToBytes(values)) as Bytes32;
}

export function receiptDomain(deployment: RegistryDeployment) {
  return tributaryDomain(deployment.chainId, deployment.modelRegistry);
}

function receiptValue(receipt: InferenceReceipt): Record<string, unknown> {
  const { requestId, modelHash, requestHash, responseHash, price } = receipt;
  return { requestId, modelHash, requestHash, responseHash, price };
}

/** The EIP-712 digest of a receipt. */
export function receiptDigest(deployment: RegistryDeployment, receipt: InferenceReceipt): Bytes32 {
  return TypedDataEncoder.hash(receiptDomain(deployment), INFERENCE_RECEIPT_TYPES, receiptValue(receipt)) as Bytes32;
}

export function signReceipt(
  signer: TypedDataSigner,
  deployment: RegistryDeployment,
  receipt: InferenceReceipt,
): Promise<string> {
  return signer.signTypedData(receiptDomain(deployment), INFERENCE_RECEIPT_TYPES, receiptValue(receipt));
}

/** The address (lower case) that signed the receipt; `InvalidSignatureError` at `path` when none can be recovered. */
export function recoverReceiptSigner(
  deployment: RegistryDeployment,
  receipt: InferenceReceipt,
  signature: string,
  path = "response.signature",
): Address {
  return recoverOrThrow(path, signature, () =>
    verifyTypedData(receiptDomain(deployment), INFERENCE_RECEIPT_TYPES, receiptValue(receipt), signature),
  );
}
