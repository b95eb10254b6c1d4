import { AddressSchema, Bytes32Schema, JobIdSchema, parseInput } from "@tributary/protocol";
import { z } from "zod";

const uint256 = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "must be a non-negative decimal integer");
const nonZeroBytes32 = Bytes32Schema.refine((value) => !/^0x0{64}$/.test(value), "must not be zero");

/** `TrainingJobs.acceptJob(jobId)`: the coordinator commits to run the job before its first round. */
export const AcceptJobArgsSchema = z.strictObject({ jobId: JobIdSchema });

/** `TrainingJobs.anchorRound(jobId, round, updatesRoot, modelHash)`: rounds count from 1 on chain. */
export const AnchorRoundArgsSchema = z.strictObject({
  jobId: JobIdSchema,
  round: z.number().int().positive().max(65_535),
  updatesRoot: nonZeroBytes32,
  modelHash: nonZeroBytes32,
});

/** `TrainingJobs.finalizeJob(jobId, payoutRoot, payoutTotal)`. */
export const FinalizeJobArgsSchema = z.strictObject({
  jobId: JobIdSchema,
  payoutRoot: nonZeroBytes32,
  payoutTotal: uint256.refine((value) => value !== "0", "must be positive"),
});

/**
 * `AttestationRegistry.recordAttestation(signer, kind, measurement, attestationHash, expiry)`: a trainer key whose
 * hardware attestation this coordinator verified.
 */
export const RecordAttestationArgsSchema = z.strictObject({
  signer: AddressSchema,
  /** `IAttestationRegistry.TeeKind`: 0 AwsNitro, 1 SgxMrEnclave, 2 SgxMrSigner, 3 IntelTdx. */
  kind: z.number().int().min(0).max(3),
  /** The measurement, or its SHA-256 when longer than 32 bytes. */
  measurement: nonZeroBytes32,
  /** SHA-256 of the attestation document. */
  attestationHash: nonZeroBytes32,
  /** Unix seconds. */
  expiry: z
    .number()
    .int()
    .positive()
    .max(2 ** 40 - 1),
});

/** A chain write the coordinator commits to, together with the state change that causes it. */
export const ChainIntentSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("acceptJob"), args: AcceptJobArgsSchema }),
  z.strictObject({ kind: z.literal("anchorRound"), args: AnchorRoundArgsSchema }),
  z.strictObject({ kind: z.literal("finalizeJob"), args: FinalizeJobArgsSchema }),
  z.strictObject({ kind: z.literal("recordAttestation"), args: RecordAttestationArgsSchema }),
]);
export type ChainIntent = z.infer<typeof ChainIntentSchema>;
export type ChainIntentInput = z.input<typeof ChainIntentSchema>;
export type ChainIntentKind = ChainIntent["kind"];
export type ChainIntentArgs = ChainIntent["args"];
export type AcceptJobArgs = z.infer<typeof AcceptJobArgsSchema>;
export type AnchorRoundArgs = z.infer<typeof AnchorRoundArgsSchema>;
export type FinalizeJobArgs = z.infer<typeof FinalizeJobArgsSchema>;
export type RecordAttestationArgs = z.infer<typeof RecordAttestationArgsSchema>;

/** Parses an intent at the outbox's boundary (hashes come out lower-case, as the chain returns them). */
export function parseChainIntent(input: ChainIntentInput): ChainIntent {
  return parseInput(ChainIntentSchema, input, "chain intent");
}

/** One intent per effect on chain: enqueuing the same effect twice is a no-op. */
export function dedupeKey(intent: ChainIntent): string {
  switch (intent.kind) {
    case "acceptJob":
      return acceptJobKey(intent.args.jobId);
    case "anchorRound":
      return `anchorRound:${intent.args.jobId}:${intent.args.round}`;
    case "finalizeJob":
      return `finalizeJob:${intent.args.jobId}`;
    case "recordAttestation":
      return recordAttestationKey(intent.args.signer, intent.args.attestationHash);
  }
}

/** The dedupe key of a job's `acceptJob` intent. */
export function acceptJobKey(jobId: string): string {
  return `acceptJob:${jobId}`;
}

/** The dedupe key of the intent recording one attestation document for one signer key. */
export function recordAttestationKey(signer: string, attestationHash: string): string {
  return `recordAttestation:${signer.toLowerCase()}:${attestationHash.toLowerCase()}`;
}
