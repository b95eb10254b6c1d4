import { keccak256, MaxUint256, type TypedDataDomain, type TypedDataField, toUtf8Bytes, verifyTypedData } from "ethers";
import { toFixed18 } from "./fixed-point.js";
import type { Address, Bytes32 } from "./ids.js";
import type { ModelUpdateHeader, SignedModelUpdate, UpdateMetrics } from "./model-update.js";
import { recoverOrThrow } from "./signature.js";

/** EIP-712 domain name and version of every Tributary signature. */
export const EIP712_NAME = "Tributary";
export const EIP712_VERSION = "1";

/**
 * The domain binds a signature to one chain and one deployment: `verifyingContract` is the `TrainingJobs`
 * contract the job lives on, so an update signed for one deployment or chain is worthless on another.
 */
export function tributaryDomain(chainId: bigint | number, verifyingContract: Address): TypedDataDomain {
  return { name: EIP712_NAME, version: EIP712_VERSION, chainId: BigInt(chainId), verifyingContract };
}

/** `ModelUpdate(uint256 jobId,uint32 round,address trainer,uint256 datasetId,uint64 numExamples,bytes32 updateHash,bytes32 metricsHash,uint256 epsilonSpent,uint256 delta,bytes32 nonce)` */
export const MODEL_UPDATE_TYPES: Record<string, TypedDataField[]> = {
  ModelUpdate: [
    { name: "jobId", type: "uint256" },
    { name: "round", type: "uint32" },
    { name: "trainer", type: "address" },
    { name: "datasetId", type: "uint256" },
    { name: "numExamples", type: "uint64" },
    { name: "updateHash", type: "bytes32" },
    { name: "metricsHash", type: "bytes32" },
    { name: "epsilonSpent", type: "uint256" },
    { name: "delta", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
};

/**
 * The EIP-712 message of a `ModelUpdate`, with ε and δ in 18-decimal fixed point; an update trained without
 * differential privacy (ε = ∞, `epsilonSpent: null`) signs ε as `type(uint256).max`.
 */
export interface ModelUpdateMessage {
  jobId: bigint;
  round: number;
  trainer: Address;
  datasetId: bigint;
  numExamples: bigint;
  updateHash: Bytes32;
  metricsHash: Bytes32;
  epsilonSpent: bigint;
  delta: bigint;
  nonce: Bytes32;
}

/** keccak256 of the metrics as JSON with keys sorted, so key order never changes the signature. */
export function metricsHash(metrics: UpdateMetrics): Bytes32 {
  const entries = Object.entries(metrics);
  // No metrics (the common case): the hash of "{}", computed once.
  if (entries.length === 0) return EMPTY_METRICS_HASH;
  const sorted = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return keccak256(toUtf8Bytes(JSON.stringify(sorted))) as Bytes32;
}

const EMPTY_METRICS_HASH = keccak256(toUtf8Bytes("{}")) as Bytes32;

/** ε as a `ModelUpdate` signs it: 18-decimal fixed point, `type(uint256).max` for `null` (trained without DP). */
export function signedEpsilon(epsilonSpent: number | null): bigint {
  return epsilonSpent === null ? MaxUint256 : toFixed18(epsilonSpent);
}

export function modelUpdateMessage(header: ModelUpdateHeader): ModelUpdateMessage {
  return {
    jobId: BigInt(header.jobId),
    round: header.round,
    trainer: header.trainer,
    datasetId: BigInt(header.datasetId),
    numExamples: BigInt(header.numExamples),
    updateHash: header.updateHash,
    metricsHash: metricsHash(header.metrics),
    epsilonSpent: signedEpsilon(header.epsilonSpent),
    delta: toFixed18(header.delta),
    nonce: header.nonce,
  };
}

/** Anything that signs EIP-712 typed data the way ethers' `Wallet` does. */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

export async function signModelUpdate(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  header: ModelUpdateHeader,
): Promise<SignedModelUpdate> {
  const signature = await signer.signTypedData(
    domain,
    MODEL_UPDATE_TYPES,
    modelUpdateMessage(header) as unknown as Record<string, unknown>,
  );
  return { ...header, signature };
}

/**
 * The address that signed this update (lower case). Compare it with `update.trainer`. Throws
 * `InvalidSignatureError` at `path` when no signer can be recovered from the signature.
 */
export function recoverModelUpdateSigner(
  domain: TypedDataDomain,
  update: SignedModelUpdate,
  path = "update.signature",
): Address {
  const { signature, ...header } = update;
  return recoverModelUpdateMessageSigner(domain, modelUpdateMessage(header), signature, path);
}

/**
 * The address (lower case) that signed a `ModelUpdate` message, for a verifier that holds the message's fields
 * rather than the whole header (an auditor has `metricsHash`, not the metrics). Throws `InvalidSignatureError`
 * at `path` when no signer can be recovered from the signature.
 */
export function recoverModelUpdateMessageSigner(
  domain: TypedDataDomain,
  message: ModelUpdateMessage,
  signature: string,
  path = "update.signature",
): Address {
  const value = message as unknown as Record<string, unknown>;
  return recoverOrThrow(path, signature, () => verifyTypedData(domain, MODEL_UPDATE_TYPES, value, signature));
}
