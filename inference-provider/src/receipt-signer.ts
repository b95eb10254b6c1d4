import {
  INFERENCE_RECEIPT_TYPES,
  type InferenceReceipt,
  type RegistryDeployment,
  receiptDomain,
} from "@tributary/protocol";
import { StaticTypedData, signDigest, uintWord } from "@tributary/signatures";
import { getBytes } from "ethers";

/**
 * Signs every answer's `InferenceReceipt` with the provider's key, the digest computed once per receipt over fixed
 * buffers and signed by libsecp256k1 (the same signature ethers' `signTypedData` gives: RFC 6979, low s).
 */
export class ReceiptSigner {
  readonly #typed: StaticTypedData;
  readonly #key: Uint8Array;

  constructor(privateKey: string, deployment: RegistryDeployment) {
    this.#typed = new StaticTypedData(receiptDomain(deployment), INFERENCE_RECEIPT_TYPES);
    this.#key = getBytes(privateKey);
  }

  sign(receipt: InferenceReceipt): string {
    const digest = this.#typed.digest([
      getBytes(receipt.requestId),
      getBytes(receipt.modelHash),
      getBytes(receipt.requestHash),
      getBytes(receipt.responseHash),
      uintWord(receipt.price),
    ]);
    return signDigest(digest, this.#key);
  }
}
