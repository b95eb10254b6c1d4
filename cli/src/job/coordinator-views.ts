import { CidSchema, JobIdSchema, JobSpecSchema } from "@tributary/protocol";
import { z } from "zod";

/**
 * What the researcher's commands read from the coordinator, parsed (the coordinator is a boundary): only the
 * fields they use; anything else the coordinator sends is ignored.
 */

export const JOB_STATUSES = ["running", "evaluating", "completed", "cancelled", "failed"] as const;
export type CoordinatorJobStatus = (typeof JOB_STATUSES)[number];

/** Finished: the coordinator will not run another round of it. */
export function isFinished(status: CoordinatorJobStatus): boolean {
  return status === "completed" || status === "cancelled" || status === "failed";
}

const metrics = z.record(z.string(), z.number());

const validated = {
  round: z.number().int().nonnegative(),
  modelCid: CidSchema,
  validationLoss: z.number().nullable(),
  validationAccuracy: z.number().nullable(),
};

/**
 * Which model a completed job returns: `best-validation` (lowest loss on the researcher's validation set over the
 * rounds' outputs) or `last`; the last round's model beside it.
 */
const ReturnedModelSchema = z.object({
  model: z.enum(["best-validation", "last"]),
  ...validated,
  last: z.object(validated),
});
export type ReturnedModelView = z.infer<typeof ReturnedModelSchema>;

/** `GET /jobs/:id` (and each element of `GET /jobs`). */
export const JobViewSchema = z.object({
  id: JobIdSchema,
  spec: JobSpecSchema,
  status: z.enum(JOB_STATUSES),
  /** The round in progress (or next to start), from 0. */
  round: z.number().int().nonnegative(),
  /** The current global model: the last round's once the job completed (`result` says which one it returns). */
  modelCid: CidSchema,
  finalMetrics: metrics.nullable(),
  /** The model the completed job returns (absent from coordinators before it was added; null until completed). */
  result: ReturnedModelSchema.nullable().optional(),
  error: z.string().nullable(),
  statusMessage: z.string().nullable().optional(),
  onChain: z.boolean(),
  researcher: z.string().nullable(),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const JobListSchema = z.array(JobViewSchema);

/** One round of `GET /jobs/:id/rounds`: its status, each selected trainer's status, and its metrics. */
export const RoundViewSchema = z.object({
  round: z.number().int().nonnegative(),
  kind: z.enum(["train", "evaluate"]),
  status: z.string(),
  inputModelCid: CidSchema,
  outputModelCid: CidSchema.nullable(),
  metrics: metrics.nullable(),
  assignments: z.array(z.object({ status: z.string() })),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RoundView = z.infer<typeof RoundViewSchema>;

export const RoundListSchema = z.array(RoundViewSchema);
