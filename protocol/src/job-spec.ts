import { z } from "zod";
import { DatasetIdSchema } from "./ids.js";
import { ModelSpecSchema } from "./model-spec.js";
import { ScoringSpecSchema } from "./scoring-spec.js";
import { StrategySpecSchema } from "./strategy-spec.js";

/** Differential privacy a job asks of every trainer (DP-SGD with per-example clipping, Abadi et al. 2016). */
export const DpSpecSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("off") }),
  z.strictObject({
    mode: z.literal("dp-sgd"),
    /** Per-example L2 clipping norm C. */
    l2NormClip: z.number().positive(),
    /** Noise standard deviation as a multiple of C. Omitted: calibrated from `targetEpsilon`. */
    noiseMultiplier: z.number().positive().optional(),
    /** ε the whole job may spend per dataset at `delta`. */
    targetEpsilon: z.number().positive().max(100),
    delta: z.number().positive().lt(1),
  }),
]);
export type DpSpec = z.infer<typeof DpSpecSchema>;

/** Which trainers take part in a round: a fraction of those online, bounded below and above. */
export const ClientSelectionSchema = z
  .strictObject({
    fraction: z.number().gt(0).max(1).default(1),
    min: z.number().int().positive().default(1),
    max: z.number().int().positive().default(1000),
  })
  .refine((selection) => selection.min <= selection.max, {
    message: "min must not exceed max",
    path: ["min"],
  });
export type ClientSelection = z.infer<typeof ClientSelectionSchema>;

/** What a researcher asks for when launching a training job. */
export const JobSpecSchema = z.strictObject({
  name: z.string().min(1).max(200),
  model: ModelSpecSchema,
  datasetIds: z.array(DatasetIdSchema).min(1).max(10_000),
  rounds: z.number().int().positive().max(10_000),
  clients: ClientSelectionSchema.default({ fraction: 1, min: 1, max: 1000 }),
  strategy: StrategySpecSchema.default({ name: "fedavg" }),
  localEpochs: z.number().int().positive().max(100).default(1),
  batchSize: z.number().int().positive().max(65_536).default(32),
  learningRate: z.number().positive().max(10),
  /** FedProx proximal coefficient μ (Li et al. 2020); 0 is plain local SGD. */
  proximalMu: z.number().min(0).max(100).default(0),
  dp: DpSpecSchema.default({ mode: "off" }),
  /** Largest L2 norm of an update the coordinator accepts. */
  maxUpdateNorm: z.number().positive().optional(),
  /** Seconds a round waits for updates before aggregating what arrived (if at least `clients.min`). */
  roundTimeoutS: z.number().positive().max(86_400).default(300),
  /** How each round's updates are scored for payment (see `ScoringSpecSchema`). */
  scoring: ScoringSpecSchema.default({ method: "examples" }),
});
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;
