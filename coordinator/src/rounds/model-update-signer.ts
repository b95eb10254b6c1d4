import {
  type Address,
  MODEL_UPDATE_TYPES,
  type ModelUpdateHeader,
  modelUpdateMessage,
  recoverModelUpdateSigner,
  type SignedModelUpdate,
  signatureProblem,
  tributaryDomain,
} from "@tributary/protocol";
import { type RecoveryPool, recoverAddress, StaticTypedData, uintWord } from "@tributary/signatures";
import type { TypedDataDomain } from "ethers";

/** A 0x-hex value of at most 32 bytes (an address, a bytes32) as its left-padded 32-byte word. */
function word(hex: string): Uint8Array {
  const bytes = Buffer.from(hex.slice(2), "hex");
  if (bytes.length === 32) return bytes;
  const padded = new Uint8Array(32);
  padded.set(bytes, 32 - bytes.length);
  return padded;
}

const UINT32 = 2n ** 32n;
const UINT64 = 2n ** 64n;
const UINT256 = 2n ** 256n;

/**
 * Who signed a `ModelUpdate`, as protocol's `recoverModelUpdateSigner` answers, several times faster: the EIP-712
 * digest from precomputed domain and type hashes (`StaticTypedData`, two keccak256 calls) and the recovery by
 * libsecp256k1 (native where its addon loads). A signature protocol would refuse (not canonical: high s, v not
 * 27/28, r or s out of range), a value out of its field's range, or a point libsecp256k1 cannot recover goes the
 * protocol's own way, which throws the same `InvalidSignatureError` it always did.
 */
export class ModelUpdateSigner {
  readonly #domain: TypedDataDomain;
  readonly #typed: StaticTypedData;

  constructor(chainId: number | bigint, verifyingContract: Address) {
    this.#domain = tributaryDomain(chainId, verifyingContract);
    this.#typed = new StaticTypedData(this.#domain, MODEL_UPDATE_TYPES);
  }

  signer(update: SignedModelUpdate): Address {
    const prepared = this.#prepare(update);
    if ("signer" in prepared) return prepared.signer;
    return this.#orProtocols(update, recoverAddress(this.#typed.digest(prepared.words), prepared.signature));
  }

  /**
   * `signer`, with the EIP-712 digest's hashing and the recovery done by `pool`'s worker threads (the same answers,
   * off the event loop).
   */
  async signerOn(pool: RecoveryPool, update: SignedModelUpdate): Promise<Address> {
    const prepared = this.#prepare(update);
    if ("signer" in prepared) return prepared.signer;
    return this.#orProtocols(update, await pool.recoverTypedAddress(this.#typed, prepared.words, prepared.signature));
  }

  /** The message's words and signature bytes to recover from, or the protocol's answer where this path does not apply. */
  #prepare(update: SignedModelUpdate): { signer: Address } | { words: Uint8Array[]; signature: Buffer } {
    if (signatureProblem(update.signature) !== undefined) {
      return { signer: recoverModelUpdateSigner(this.#domain, update) };
    }
    const { signature, ...header } = update;
    const words = this.#words(header);
    if (words === undefined) return { signer: recoverModelUpdateSigner(this.#domain, update) };
    return { words, signature: Buffer.from(signature.slice(2), "hex") };
  }

  #orProtocols(update: SignedModelUpdate, address: string | undefined): Address {
    return (address as Address | undefined) ?? recoverModelUpdateSigner(this.#domain, update);
  }

  /** The header's EIP-712 digest (what its trainer signs); undefined when a value is out of its field's range. */
  digest(header: ModelUpdateHeader): Uint8Array | undefined {
    const words = this.#words(header);
    return words === undefined ? undefined : this.#typed.digest(words);
  }

  /** The header's `ModelUpdate` fields as 32-byte words; undefined when a value is out of its field's range. */
  #words(header: ModelUpdateHeader): Uint8Array[] | undefined {
    const message = modelUpdateMessage(header);
    const inRange =
      BigInt(message.round) < UINT32 &&
      message.numExamples < UINT64 &&
      [message.jobId, message.datasetId, message.epsilonSpent, message.delta].every((value) => value < UINT256);
    if (!inRange) return undefined;
    return [
      uintWord(message.jobId),
      uintWord(BigInt(message.round)),
      word(message.trainer),
      uintWord(message.datasetId),
      uintWord(message.numExamples),
      word(message.updateHash),
      word(message.metricsHash),
      uintWord(message.epsilonSpent),
      uintWord(message.delta),
      word(message.nonce),
    ];
  }
}
