import { JobSpecSchema } from "@tributary/protocol";
import { z } from "zod";

/** What the portal reads from the coordinator's REST API, parsed: only the fields it shows. */

const metrics = z.record(z.string(), z.number());

export const JobViewSchema = z.object({
  id: z.string(),
  spec: JobSpecSchema,
  status: z.string(),
  round: z.number().int().nonnegative(),
  modelCid: z.string(),
  finalMetrics: metrics.nullable(),
  error: z.string().nullable(),
  statusMessage: z.string().nullable().optional(),
  onChain: z.boolean(),
  researcher: z.string().nullable(),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const RoundViewSchema = z.object({
  round: z.number().int().nonnegative(),
  kind: z.enum(["train", "evaluate"]),
  status: z.string(),
  metrics: metrics.nullable(),
  assignments: z.array(z.object({ status: z.string() })),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RoundView = z.infer<typeof RoundViewSchema>;

export const DatasetViewSchema = z.object({
  id: z.string(),
  owner: z.string(),
  commitment: z.string().optional(),
  pricePerRound: z.string().optional(),
  epsilonBudget: z.number().optional(),
  deltaBudget: z.number().optional(),
  active: z.boolean().optional(),
  metadataUri: z.string().optional(),
});
export type DatasetView = z.infer<typeof DatasetViewSchema>;
