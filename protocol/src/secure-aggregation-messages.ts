import { sha256, type TypedDataDomain, type TypedDataField, toUtf8Bytes, verifyTypedData } from "ethers";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import type { TypedDataSigner } from "./eip712.js";
import { type Address, AddressSchema, type Bytes32, Bytes32Schema, JobIdSchema, RoundSchema } from "./ids.js";
import { recoverOrThrow, SignatureSchema } from "./signature.js";

/**
 * The messages of SecAgg+ (Bell et al. 2020, after Bonawitz et al. 2017) between a trainer and the coordinator.
 * Every trainer message is signed: EIP-712 over `SecAggMessage(jobId, round, trainer, stage, payloadHash)`, with
 * `payloadHash` the SHA-256 of the message's canonical JSON without its signature. The coordinator's messages are
 * not signed; what a trainer relies on in them is either signed by a peer (key advertisements) or authenticated
 * by the pairwise AEAD keys (share ciphertexts), and a trainer refuses an unmasking request that would expose a
 * peer (see `secure-aggregation`'s `SecAggClient`).
 */

/** Most trainers one SecAgg round may have. */
export const MAX_SECAGG_CLIENTS = 10_000;
/** A 32-byte X25519 public key in hex. */
const PublicKeySchema = Bytes32Schema;
/** Hex bytes of bounded length (a ciphertext or a Shamir share). */
const hexBytes = (maxBytes: number) =>
  z
    .string()
    .max(2 + 2 * maxBytes)
    .regex(/^0x([0-9a-fA-F]{2})*$/, "must be hex bytes (0x + an even number of hex digits)")
    .transform((value) => value.toLowerCase() as `0x${string}`);
/** A Shamir share of a 32-byte secret over GF(2^521 − 1): the y value, at most 66 bytes. */
const ShareSchema = hexBytes(66);

const header = <S extends string>(stage: S) => ({
  jobId: JobIdSchema,
  round: RoundSchema,
  trainer: AddressSchema,
  stage: z.literal(stage),
});

/** Round 0 (AdvertiseKeys): a trainer's two fresh X25519 public keys, c for share encryption, s for masks. */
export const SecAggAdvertiseKeysSchema = z.strictObject({
  ...header("advertise-keys"),
  encryptionKey: PublicKeySchema,
  maskingKey: PublicKeySchema,
  signature: SignatureSchema,
});
export type SecAggAdvertiseKeys = z.infer<typeof SecAggAdvertiseKeysSchema>;

/** One share ciphertext, from a trainer to one of its neighbours (ChaCha20-Poly1305 under their c-key). */
export const SecAggShareCiphertextSchema = z.strictObject({ to: AddressSchema, ciphertext: hexBytes(512) });
export type SecAggShareCiphertext = z.infer<typeof SecAggShareCiphertextSchema>;

/** Round 1 (ShareKeys): a trainer's encrypted shares of its self-mask seed and masking key, one per neighbour. */
export const SecAggShareKeysSchema = z.strictObject({
  ...header("share-keys"),
  ciphertexts: z.array(SecAggShareCiphertextSchema).max(MAX_SECAGG_CLIENTS),
  signature: SignatureSchema,
});
export type SecAggShareKeys = z.infer<typeof SecAggShareKeysSchema>;

/**
 * Round 2 (MaskedInputCollection): the header of a trainer's masked vector. The vector (little-endian uint32
 * words, `length` of them) travels beside it as a binary attachment; `maskedHash` is their SHA-256.
 */
export const SecAggMaskedInputSchema = z.strictObject({
  ...header("masked-input"),
  length: z
    .number()
    .int()
    .positive()
    .max(1 << 24),
  maskedHash: Bytes32Schema,
  signature: SignatureSchema,
});
export type SecAggMaskedInput = z.infer<typeof SecAggMaskedInputSchema>;

/** One revealed share: of whose secret, and the share's y value. */
export const SecAggRevealedShareSchema = z.strictObject({ of: AddressSchema, share: ShareSchema });
export type SecAggRevealedShare = z.infer<typeof SecAggRevealedShareSchema>;

/**
 * Round 3 (Unmasking): a trainer's shares of its neighbours' self-mask seeds (of survivors) and masking keys (of
 * trainers that dropped after sharing), never both for the same neighbour.
 */
export const SecAggUnmaskingSchema = z.strictObject({
  ...header("unmasking"),
  selfMaskShares: z.array(SecAggRevealedShareSchema).max(MAX_SECAGG_CLIENTS),
  keyShares: z.array(SecAggRevealedShareSchema).max(MAX_SECAGG_CLIENTS),
  signature: SignatureSchema,
});
export type SecAggUnmasking = z.infer<typeof SecAggUnmaskingSchema>;

/** Any signed trainer message of the protocol. */
export type SecAggTrainerMessage = SecAggAdvertiseKeys | SecAggShareKeys | SecAggMaskedInput | SecAggUnmasking;
export type SecAggStage = SecAggTrainerMessage["stage"];

const coordinatorHeader = { jobId: JobIdSchema, round: RoundSchema };

/** Coordinator → trainer after AdvertiseKeys: its neighbours' signed advertisements. */
export const SecAggNeighbourKeysSchema = z.strictObject({
  ...coordinatorHeader,
  advertisements: z.array(SecAggAdvertiseKeysSchema).max(MAX_SECAGG_CLIENTS),
});
export type SecAggNeighbourKeys = z.infer<typeof SecAggNeighbourKeysSchema>;

/** Coordinator → trainer after ShareKeys: the ciphertexts its neighbours addressed to it. */
export const SecAggSharesDeliverySchema = z.strictObject({
  ...coordinatorHeader,
  ciphertexts: z
    .array(z.strictObject({ from: AddressSchema, ciphertext: SecAggShareCiphertextSchema.shape.ciphertext }))
    .max(MAX_SECAGG_CLIENTS),
});
export type SecAggSharesDelivery = z.infer<typeof SecAggSharesDeliverySchema>;

/** Coordinator → trainer after MaskedInputCollection: who sent a masked input and who dropped after sharing. */
export const SecAggUnmaskRequestSchema = z.strictObject({
  ...coordinatorHeader,
  survivors: z.array(AddressSchema).max(MAX_SECAGG_CLIENTS),
  dropped: z.array(AddressSchema).max(MAX_SECAGG_CLIENTS),
});
export type SecAggUnmaskRequest = z.infer<typeof SecAggUnmaskRequestSchema>;

/** `SecAggMessage(uint256 jobId,uint32 round,address trainer,string stage,bytes32 payloadHash)` */
export const SECAGG_MESSAGE_TYPES: Record<string, TypedDataField[]> = {
  SecAggMessage: [
    { name: "jobId", type: "uint256" },
    { name: "round", type: "uint32" },
    { name: "trainer", type: "address" },
    { name: "stage", type: "string" },
    { name: "payloadHash", type: "bytes32" },
  ],
};

type Unsigned<M extends SecAggTrainerMessage> = Omit<M, "signature">;

/** SHA-256 of the canonical JSON of a trainer message without its signature. */
export function secAggPayloadHash(message: Unsigned<SecAggTrainerMessage>): Bytes32 {
  const { signature: _ignored, ...body } = message as SecAggTrainerMessage;
  return sha256(toUtf8Bytes(canonicalJson(body))) as Bytes32;
}

function typedValue(message: Unsigned<SecAggTrainerMessage>): Record<string, unknown> {
  return {
    jobId: BigInt(message.jobId),
    round: message.round,
    trainer: message.trainer,
    stage: message.stage,
    payloadHash: secAggPayloadHash(message),
  };
}

/** Signs a trainer's SecAgg message with EIP-712 under the job's Tributary domain. */
export async function signSecAggMessage<M extends SecAggTrainerMessage>(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  message: Unsigned<M>,
): Promise<M> {
  const signature = await signer.signTypedData(domain, SECAGG_MESSAGE_TYPES, typedValue(message));
  return { ...message, signature } as M;
}

/**
 * The address (lower case) that signed a SecAgg message; compare it with `message.trainer`. Throws
 * `InvalidSignatureError` at `path` when no signer can be recovered.
 */
export function recoverSecAggSigner(
  domain: TypedDataDomain,
  message: SecAggTrainerMessage,
  path = "secagg.signature",
): Address {
  const value = typedValue(message);
  return recoverOrThrow(path, message.signature, () =>
    verifyTypedData(domain, SECAGG_MESSAGE_TYPES, value, message.signature),
  );
}
