import { z } from "zod";
import { C2dAlgorithmNameSchema } from "./c2d-request.js";
import { AddressSchema, Bytes32Schema, DatasetIdSchema } from "./ids.js";

const TeeKindSchema = z.enum(["nitro", "sgx", "tdx", "simulated"]);
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, "must be 32 bytes of lower-case hex");

/** An algorithm a node runs: its name, version, content hash and what it computes. */
export const C2dAlgorithmInfoSchema = z.strictObject({
  name: C2dAlgorithmNameSchema,
  version: z.string().min(1).max(32),
  hash: Bytes32Schema,
  description: z.string().max(2000),
});
export type C2dAlgorithmInfo = z.infer<typeof C2dAlgorithmInfoSchema>;

/** `GET /v1/node`: what a data owner's compute-to-data node serves and on what terms. */
export const C2dNodeInfoSchema = z.strictObject({
  datasetId: DatasetIdSchema,
  /** The manifest commitment of the files the node reads (what the dataset enrolled on chain). */
  datasetCommitment: Bytes32Schema,
  /** The record count, as the manifest states it (public: the coordinator and the chain's manifest hold it). */
  records: z.number().int().nonnegative(),
  featureShape: z.array(z.number().int().positive()),
  numClasses: z.number().int().positive(),
  /** The owner's allowlist: only these algorithms, at these hashes, run. */
  algorithms: z.array(C2dAlgorithmInfoSchema),
  /** `any` (every signed requester) or the researchers the owner named. */
  researchers: z.union([z.literal("any"), z.array(AddressSchema)]),
  policy: z.strictObject({
    /** The fewest records per released cell (histogram bin, quantile interval) the output policy lets out. */
    minRecordsPerCell: z.number().int().positive(),
    /** The most ε one run may charge. */
    maxEpsilonPerRun: z.number().positive(),
    /** How far in the future a request's `expiresAt` may be, in seconds. */
    maxRequestTtlS: z.number().int().positive(),
  }),
  privacy: z.strictObject({
    epsilonBudget: z.number().positive(),
    delta: z.number().gt(0).lt(1),
    epsilonSpent: z.number().min(0),
  }),
  tee: z.strictObject({ kind: TeeKindSchema, simulated: z.boolean() }),
});
export type C2dNodeInfo = z.infer<typeof C2dNodeInfoSchema>;

/** A run's attestation: the enclave's document whose user data binds the algorithm, the params and the output. */
export const C2dAttestationSchema = z.strictObject({
  kind: TeeKindSchema,
  simulated: z.boolean(),
  /** The document exactly as the TEE produced it, base64. */
  document: z.string().max(1 << 20),
  /** SHA-256("tributary-c2d-run-v1" ‖ algorithmHash ‖ paramsHash ‖ outputHash), lower-case hex: the user data. */
  binding: hex32,
  /** The request's EIP-712 digest, lower-case hex: the nonce the document answers. */
  nonce: hex32,
});
export type C2dAttestation = z.infer<typeof C2dAttestationSchema>;

/** `POST /v1/runs`' answer: the released output, what it cost and the attestation of the run. */
export const C2dRunResultSchema = z.strictObject({
  runId: z.string().min(1).max(64),
  datasetId: DatasetIdSchema,
  algorithm: C2dAlgorithmNameSchema,
  algorithmHash: Bytes32Schema,
  paramsHash: Bytes32Schema,
  /** SHA-256 of the output's canonical JSON. */
  outputHash: Bytes32Schema,
  output: z.record(z.string(), z.unknown()),
  privacy: z.strictObject({
    /** What this run added to the dataset's spent ε (its own ε for a statistic, the composed increase for training). */
    epsilonCharged: z.number().min(0),
    delta: z.number().min(0).lt(1),
    /** The dataset's spent ε, this run included, at the budget's δ. */
    epsilonSpent: z.number().min(0),
    epsilonBudget: z.number().positive(),
  }),
  attestation: C2dAttestationSchema,
});
export type C2dRunResult = z.infer<typeof C2dRunResultSchema>;

/** Every refusal of a node: `{error: {code, message, details}}`. */
export const C2dErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
