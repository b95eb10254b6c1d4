import { type TypedDataDomain, TypedDataEncoder, type TypedDataField, verifyTypedData } from "ethers";
import { z } from "zod";
import type { TypedDataSigner } from "./eip712.js";
import { type Address, AddressSchema, type Bytes32, Bytes32Schema, DatasetIdSchema } from "./ids.js";
import { recoverOrThrow, SignatureSchema } from "./signature.js";

/**
 * The EIP-712 domain of compute-to-data requests. It names no chain or contract: a request runs off chain, at the
 * data owner's node, and is bound to the data instead by `datasetCommitment` (the manifest commitment of the very
 * files the node reads), to one run by its `nonce` and to a time by `expiresAt`.
 */
export const C2D_DOMAIN: TypedDataDomain = { name: "Tributary compute-to-data", version: "1" };

/**
 * `C2dRunRequest(uint256 datasetId,bytes32 datasetCommitment,string algorithm,bytes32 algorithmHash,
 * bytes32 paramsHash,address researcher,bytes32 nonce,uint64 expiresAt)`: a researcher asks a data owner's node to
 * run algorithm `algorithm` (whose content hash is `algorithmHash`) with the parameters whose canonical JSON hashes
 * to `paramsHash` on dataset `datasetId`, whose manifest commits to `datasetCommitment`.
 */
export const C2D_RUN_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  C2dRunRequest: [
    { name: "datasetId", type: "uint256" },
    { name: "datasetCommitment", type: "bytes32" },
    { name: "algorithm", type: "string" },
    { name: "algorithmHash", type: "bytes32" },
    { name: "paramsHash", type: "bytes32" },
    { name: "researcher", type: "address" },
    { name: "nonce", type: "bytes32" },
    { name: "expiresAt", type: "uint64" },
  ],
};

/** A compute-to-data algorithm's name: lower-case words joined by hyphens, e.g. `dp-count`. */
export const C2dAlgorithmNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, "must be lower-case words joined by hyphens, e.g. dp-count")
  .max(64);

export const C2dRunRequestSchema = z.strictObject({
  datasetId: DatasetIdSchema,
  datasetCommitment: Bytes32Schema,
  algorithm: C2dAlgorithmNameSchema,
  algorithmHash: Bytes32Schema,
  paramsHash: Bytes32Schema,
  researcher: AddressSchema,
  nonce: Bytes32Schema,
  /** Unix seconds after which the node refuses the request. */
  expiresAt: z
    .number()
    .int()
    .positive()
    .max(2 ** 53 - 1),
});
export type C2dRunRequest = z.infer<typeof C2dRunRequestSchema>;

/** Largest params document a run takes, in bytes of its JSON (a training step's model and weights fit). */
export const MAX_C2D_PARAMS_BYTES = 16 * 1024 * 1024;

/** `POST /v1/runs`: the signed request and the parameters it hashes. */
export const C2dRunBodySchema = z.strictObject({
  request: C2dRunRequestSchema,
  signature: SignatureSchema,
  /** The algorithm's parameters as the researcher wrote them; `paramsHash` is SHA-256 of their canonical JSON. */
  params: z.record(z.string(), z.unknown()),
});
export type C2dRunBody = z.infer<typeof C2dRunBodySchema>;

function requestValue(request: C2dRunRequest): Record<string, unknown> {
  return { ...request, datasetId: BigInt(request.datasetId), expiresAt: BigInt(request.expiresAt) };
}

export async function signC2dRunRequest(signer: TypedDataSigner, request: C2dRunRequest): Promise<string> {
  return signer.signTypedData(C2D_DOMAIN, C2D_RUN_REQUEST_TYPES, requestValue(request));
}

/** The address (lower case) that signed the request; throws `InvalidSignatureError` when none can be recovered. */
export function recoverC2dRunRequestSigner(request: C2dRunRequest, signature: string): Address {
  return recoverOrThrow("body.signature", signature, () =>
    verifyTypedData(C2D_DOMAIN, C2D_RUN_REQUEST_TYPES, requestValue(request), signature),
  );
}

/**
 * The request's EIP-712 digest: what its signature signs, and the nonce the node's attestation of the run answers
 * (so a document made for another request never matches).
 */
export function c2dRequestDigest(request: C2dRunRequest): Bytes32 {
  return TypedDataEncoder.hash(C2D_DOMAIN, C2D_RUN_REQUEST_TYPES, requestValue(request)) as Bytes32;
}
