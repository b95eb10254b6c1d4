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

/** `GET /jobs/:id` (and each element of `GET /jobs`). */
export const JobViewSchema = z.object({
  id: JobIdSchema,
  spec: JobSpecSchema,
  status: z.enum(JOB_STATUSES),
  /** The round in progress (or next to start), from 0. */
  round: z.number().int().nonnegative(),
  /** The current global model: the final one once the job completed. */
  modelCid: CidSchema,
  finalMetrics: metrics.nullable(),
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
