import { z } from "zod";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, JobIdSchema, RoundSchema } from "./ids.js";
import { SignatureSchema } from "./signature.js";
import { storedTextProblem } from "./stored-text.js";

const finite = z.number().refine(Number.isFinite, "must be a finite number");

const MAX_METRICS = 32;

/**
 * Training metrics a trainer reports with its update, measured on its local data: at most 32, counted before any
 * is parsed, with names the coordinator can store (`jsonb`).
 */
export const UpdateMetricsSchema = z
  .custom<object>(
    (value) => typeof value !== "object" || value === null || Object.keys(value).length <= MAX_METRICS,
    `at most ${MAX_METRICS} metrics`,
  )
  .pipe(
    z.record(z.string().min(1).max(64), finite).superRefine((metrics, ctx) => {
      for (const name of Object.keys(metrics)) {
        const problem = storedTextProblem(name);
        if (problem !== undefined)
          ctx.addIssue({ code: "custom", message: `metric ${JSON.stringify(name)} ${problem}` });
      }
    }),
  );
export type UpdateMetrics = z.infer<typeof UpdateMetricsSchema>;

/**
 * The header of a trainer's update. The update's bytes (a little-endian Float32Array laid out by the job's
 * model layout) travel beside it as a binary attachment; `updateHash` is their SHA-256.
 */
export const ModelUpdateHeaderSchema = z.strictObject({
  jobId: JobIdSchema,
  round: RoundSchema,
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
  signature: SignatureSchema,
});
export type SignedModelUpdate = z.infer<typeof SignedModelUpdateSchema>;
