import { z } from "zod";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, JobIdSchema } from "./ids.js";

const finite = z.number().refine(Number.isFinite, "must be a finite number");

/** Training metrics a trainer reports with its update, measured on its local data. */
export const UpdateMetricsSchema = z
  .record(z.string().min(1).max(64), finite)
  .refine((metrics) => Object.keys(metrics).length <= 32, "at most 32 metrics");
export type UpdateMetrics = z.infer<typeof UpdateMetricsSchema>;

/**
 * The header of a trainer's update. The update's bytes (a little-endian Float32Array laid out by the job's
 * model layout) travel beside it as a binary attachment; `updateHash` is their SHA-256.
 */
export const ModelUpdateHeaderSchema = z.strictObject({
  jobId: JobIdSchema,
  round: z.number().int().nonnegative().max(0xffff_ffff),
  trainer: AddressSchema,
  datasetId: DatasetIdSchema,
  numExamples: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  updateHash: Bytes32Schema,
  metrics: UpdateMetricsSchema,
  /**
   * Cumulative ε the dataset has spent (over all jobs, at the owner's `delta`) after this round; `null` when the
   * job trains without differential privacy (ε = ∞), which the data owner must have allowed.
   */
  epsilonSpent: z.number().min(0).refine(Number.isFinite, "must be finite").nullable(),
  delta: z.number().min(0).lt(1),
  /** The nonce of the `TrainInstruction` this update answers. */
  nonce: Bytes32Schema,
});
export type ModelUpdateHeader = z.infer<typeof ModelUpdateHeaderSchema>;

/** A header with the trainer's EIP-712 signature over it. */
export const SignedModelUpdateSchema = ModelUpdateHeaderSchema.extend({
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature"),
});
export type SignedModelUpdate = z.infer<typeof SignedModelUpdateSchema>;
