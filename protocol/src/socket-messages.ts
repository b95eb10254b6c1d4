import { z } from "zod";
import { AddressSchema, Bytes32Schema, CidSchema, DatasetIdSchema, JobIdSchema, RoundSchema } from "./ids.js";
import { UpdateMetricsSchema } from "./model-update.js";
import { SignatureSchema } from "./signature.js";
import { StoredTextSchema } from "./stored-text.js";

/**
 * The socket.io conversation between a trainer agent and the coordinator. Event names are the keys of
 * `ServerEvents`/`ClientEvents`; every payload is parsed with the schema named here on arrival. Client events are
 * acknowledged with an `Ack`. Every string, array and binary field in them is bounded by its schema, not only by
 * the socket's buffer limit.
 */

/**
 * Largest attestation document accepted: 64 KiB, generous for an AWS Nitro attestation document (~5 KiB) or an
 * SGX/TDX DCAP quote with its certificate chain (~10 KiB); the simulator's are under 2 KiB.
 */
export const MAX_ATTESTATION_BYTES = 64 * 1024;

/** The text a trainer signs (EIP-191 personal_sign) to prove it holds its key. */
export function loginMessage(nonce: string): string {
  return `Tributary trainer login\nnonce: ${nonce}`;
}

/**
 * Client → server, in the header of the HTTP request that opens the socket.io connection (`SIGN_IN_HEADER`, see
 * `trainer-handshake.ts`): a signed EIP-4361 message (protocol's `signInMessage`, built from the trainer's own
 * configuration: the coordinator's URL, its chain id and TrainingJobs) over a nonce from `GET /auth/nonce`, and the
 * dataset the trainer serves. The coordinator verifies it before it opens the connection, so nothing is read from an
 * unauthenticated peer beyond that request's head.
 */
export const HandshakeAuthSchema = z.strictObject({
  message: z.string().min(1).max(4096),
  signature: z.string().max(200),
  datasetId: DatasetIdSchema,
});
export type HandshakeAuth = z.infer<typeof HandshakeAuthSchema>;
export type HandshakeAuthInput = z.input<typeof HandshakeAuthSchema>;

/** Most job ids a hello lists. */
const MAX_HELLO_JOBS = 10_000;

/**
 * Server → client, once the handshake is accepted: what the coordinator is, who the trainer is logged in as, the
 * running jobs on its dataset, and a session token for REST (the global models of its jobs).
 */
export const HelloSchema = z.strictObject({
  /** A fresh random value (kept for older clients; attestation challenges come from `join`). */
  nonce: Bytes32Schema,
  mode: z.enum(["development", "production"]),
  /** EIP-712 domain parameters trainers sign updates under. */
  chainId: z.number().int().positive(),
  verifyingContract: AddressSchema,
  address: AddressSchema.optional(),
  datasetId: DatasetIdSchema.optional(),
  jobs: z.array(JobIdSchema).max(MAX_HELLO_JOBS).default([]),
  token: z.string().max(4096).optional(),
});
export type Hello = z.infer<typeof HelloSchema>;

export const LoginSchema = z.strictObject({
  address: AddressSchema,
  datasetId: DatasetIdSchema,
  signature: SignatureSchema,
});
export type Login = z.infer<typeof LoginSchema>;

export const JoinSchema = z.strictObject({ jobId: JobIdSchema });
export type Join = z.infer<typeof JoinSchema>;

/** The TEE an attestation comes from; `simulated` is no TEE at all (development only). */
export const AttestationKindSchema = z.enum(["nitro", "sgx", "tdx", "simulated"]);
export type AttestationKind = z.infer<typeof AttestationKindSchema>;

export const AttestSchema = z.strictObject({
  jobId: JobIdSchema,
  kind: AttestationKindSchema,
  /** The raw attestation document (binary attachment). */
  document: z
    .instanceof(Uint8Array)
    .refine(
      (document) => document.byteLength <= MAX_ATTESTATION_BYTES,
      `must be at most ${MAX_ATTESTATION_BYTES} bytes`,
    ),
});
export type Attest = z.infer<typeof AttestSchema>;

/** Server → client: evaluate the current global model on local held-out data; no training. */
export const EvaluateInstructionSchema = z.strictObject({
  jobId: JobIdSchema,
  round: RoundSchema,
  modelCid: CidSchema,
  modelHash: Bytes32Schema,
  deadline: z.number().int().positive(),
  nonce: Bytes32Schema,
});
export type EvaluateInstruction = z.infer<typeof EvaluateInstructionSchema>;

export const EvaluationReportSchema = z.strictObject({
  jobId: JobIdSchema,
  round: RoundSchema,
  nonce: Bytes32Schema,
  numExamples: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  metrics: UpdateMetricsSchema,
});
export type EvaluationReport = z.infer<typeof EvaluationReportSchema>;

/** Client → server: the trainer will not train this round, and why (e.g. its privacy budget would be exceeded). */
export const RefusalSchema = z.strictObject({
  jobId: JobIdSchema,
  round: RoundSchema,
  nonce: Bytes32Schema,
  code: StoredTextSchema.min(1).max(64),
  message: StoredTextSchema.max(2000),
});
export type Refusal = z.infer<typeof RefusalSchema>;

/** Server → client: a job that trains on the trainer's dataset opened; the trainer may join it. */
export const JobOpenedSchema = z.strictObject({ jobId: JobIdSchema });
export type JobOpened = z.infer<typeof JobOpenedSchema>;

export const JobClosedSchema = z.strictObject({
  jobId: JobIdSchema,
  status: z.enum(["completed", "cancelled", "failed"]),
});
export type JobClosed = z.infer<typeof JobClosedSchema>;

/** Every acknowledgement: success with a payload, or a failure with a stable code and a precise message. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; code: string; message: string };

/** Longest failure message in an acknowledgement: room for an `InvalidInputError` listing many issues. */
const MAX_ACK_MESSAGE = 64 * 1024;

export const AckSchema = z.union([
  z.looseObject({ ok: z.literal(true) }),
  z.strictObject({ ok: z.literal(false), code: z.string().max(64), message: z.string().max(MAX_ACK_MESSAGE) }),
]);

export const SOCKET_EVENTS = {
  hello: "hello",
  /** Superseded by the handshake's sign-in: a coordinator answers it with an error acknowledgement. */
  login: "login",
  /** After login: the dataset's manifest, checked against its commitment; its record count caps `numExamples`. */
  manifest: "manifest",
  join: "join",
  attest: "attest",
  instruction: "instruction",
  update: "update",
  refusal: "refusal",
  evaluate: "evaluate",
  evaluation: "evaluation",
  jobOpened: "job:opened",
  jobClosed: "job:closed",
  /**
   * SecAgg+ stages of a `secureAggregation` job's train round (messages in `secure-aggregation-messages.ts`).
   * Trainer → coordinator, signed by the trainer and acknowledged: its keys, its sealed shares, its unmasking.
   * Coordinator → trainer: its neighbours' keys, the shares addressed to it, the unmasking request. The masked
   * input itself is the round's `update` (its signed header's `updateHash` is the SHA-256 of the masked words).
   */
  secAggAdvertiseKeys: "secagg:advertise-keys",
  secAggShareKeys: "secagg:share-keys",
  secAggUnmasking: "secagg:unmasking",
  secAggNeighbourKeys: "secagg:neighbour-keys",
  secAggShares: "secagg:shares",
  secAggUnmask: "secagg:unmask",
} as const;
