import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import { AddressSchema, DatasetIdSchema } from "./ids.js";
import { LearningRateScheduleSchema } from "./learning-rate-schedule.js";
import { layoutLength } from "./model-layout.js";
import { type ModelSpec, ModelSpecSchema } from "./model-spec.js";
import { ScoringSpecSchema } from "./scoring-spec.js";
import { SecureAggregationSpecSchema } from "./secure-aggregation-spec.js";
import { layoutFromSpec } from "./spec-layout.js";
import { StoredTextSchema } from "./stored-text.js";
import { StrategySpecSchema } from "./strategy-spec.js";

/**
 * Most trainable parameters a job's model may have: 2^24 = 16,777,216, i.e. 64 MiB of float32, the coordinator's
 * default `maxUpdateBytes`, so an update of any accepted model fits through the socket's default limit. The models
 * the project trains and benchmarks are far below it: the MLP 784-200-200-10 has 199,210 parameters, the FedAvg CNN
 * 1,663,370 and the benchmarks' synthetic models at most 1,000,000.
 */
export const MAX_MODEL_PARAMETERS = 1 << 24;

/** Parameters of a model spec; `undefined` when the spec cannot be built (the caller's `layoutFromSpec` says why). */
function parameterCount(model: ModelSpec): number | undefined {
  try {
    return layoutLength(layoutFromSpec(model));
  } catch {
    return undefined;
  }
}

/** Dataset ids, each at most once: a dataset listed twice would still train as one trainer. */
const DatasetIdsSchema = z
  .array(DatasetIdSchema)
  .min(1)
  .max(10_000)
  .superRefine((ids, ctx) => {
    const first = new Map<string, number>();
    const reported = new Set<string>();
    ids.forEach((id, index) => {
      const at = first.get(id);
      if (at === undefined) first.set(id, index);
      else if (!reported.has(id)) {
        reported.add(id);
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `dataset ${id} is listed more than once (first at datasetIds[${at}])`,
        });
      }
    });
  });

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

/** The hardware TEE kinds a job may require of its trainers (never the simulator). */
export const HardwareTeeKindSchema = z.enum(["nitro", "sgx", "tdx"]);
export type HardwareTeeKind = z.infer<typeof HardwareTeeKindSchema>;

/**
 * A job's demand on where its trainers run. With `required`, the coordinator accepts updates only from trainer keys
 * attested and unexpired on AttestationRegistry (read at its confirmed head), of one of `kinds` (default any
 * hardware kind); the enclave measurements allowed are governance's allowlist on the registry.
 */
export const AttestationRequirementSchema = z.strictObject({
  required: z.boolean(),
  kinds: z
    .array(HardwareTeeKindSchema)
    .min(1)
    .max(3)
    .refine((kinds) => new Set(kinds).size === kinds.length, "lists a kind more than once")
    .optional(),
});
export type AttestationRequirement = z.infer<typeof AttestationRequirementSchema>;

/** The strategies that only average (with a server optimiser step after), which secure aggregation can serve. */
const FEDAVG_FAMILY: ReadonlySet<string> = new Set(["fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi"]);

/** What a researcher asks for when launching a training job. */
export const JobSpecSchema = z
  .strictObject({
    name: StoredTextSchema.min(1).max(200),
    model: ModelSpecSchema.superRefine((model, ctx) => {
      const count = parameterCount(model);
      if (count !== undefined && count > MAX_MODEL_PARAMETERS) {
        ctx.addIssue({
          code: "custom",
          message: `the model has ${count} parameters, more than the ${MAX_MODEL_PARAMETERS} a job may train`,
        });
      }
    }),
    datasetIds: DatasetIdsSchema,
    rounds: z.number().int().positive().max(10_000),
    clients: ClientSelectionSchema.default({ fraction: 1, min: 1, max: 1000 }),
    strategy: StrategySpecSchema.default({ name: "fedavg" }),
    localEpochs: z.number().int().positive().max(100).default(1),
    batchSize: z.number().int().positive().max(65_536).default(32),
    /**
     * Most SGD steps a trainer takes in one round, over all its local epochs (absent: `localEpochs` full passes).
     * A round then reads the first `maxLocalSteps × batchSize` records of its shuffle: a fraction of an epoch for a
     * large dataset, so every round costs every trainer at most that much, and DP accounts only those steps.
     */
    maxLocalSteps: z.number().int().positive().max(1_000_000).optional(),
    learningRate: z.number().positive().max(10),
    /**
     * How the local learning rate moves over the rounds (see `LearningRateScheduleSchema`); absent: constant. Each
     * train instruction carries its round's rate, which the trainer checks with `roundLearningRate`.
     */
    learningRateSchedule: LearningRateScheduleSchema.optional(),
    /** FedProx proximal coefficient μ (Li et al. 2020); 0 is plain local SGD. */
    proximalMu: z.number().min(0).max(100).default(0),
    dp: DpSpecSchema.default({ mode: "off" }),
    /** Largest L2 norm of an update the coordinator accepts. */
    maxUpdateNorm: z.number().positive().optional(),
    /** Seconds a round waits for updates before aggregating what arrived (if at least `clients.min`). */
    roundTimeoutS: z.number().positive().max(86_400).default(300),
    /** How each round's updates are scored for payment (see `ScoringSpecSchema`). */
    scoring: ScoringSpecSchema.default({ method: "examples" }),
    /**
     * Addresses the researcher names as auditors: besides the researcher (and the trainer that sent it, or the
     * trainers admitted), they may read the job's raw update blobs, its global models and this spec, to verify the
     * ledger against them and recompute its scores (`tributary ledger verify --recompute-scores`).
     */
    auditors: z.array(AddressSchema).max(32).optional(),
    /** Whether only attested trainers may contribute (see `AttestationRequirementSchema`); absent: not required. */
    attestation: AttestationRequirementSchema.optional(),
    /**
     * Secure aggregation (SecAgg+): the coordinator learns only each round's sum. FedAvg-family strategies only (the
     * robust rules need every update), scored by committed example counts (no single update is ever seen).
     */
    secureAggregation: SecureAggregationSpecSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (
      spec.strategy.name === "fltrust" &&
      spec.scoring.method !== "examples" &&
      spec.strategy.rootDatasetCid === spec.scoring.validationSetCid
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["strategy", "rootDatasetCid"],
        message:
          "is the validation set that scores the contributions: the server's update would be trained on the data that judges the updates it weighs, so scores and the returned model's choice would favour it; upload a separate root dataset",
      });
    }
    const secAgg = spec.secureAggregation;
    if (secAgg === undefined) return;
    if (!FEDAVG_FAMILY.has(spec.strategy.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["secureAggregation"],
        message: `secure aggregation reveals only the sum of a round's updates; strategy ${spec.strategy.name} needs every update (use fedavg, fedavgm, fedadagrad, fedadam or fedyogi)`,
      });
    }
    if (spec.scoring.method !== "examples") {
      ctx.addIssue({
        code: "custom",
        path: ["scoring", "method"],
        message: `secure aggregation never shows the coordinator one update, so it cannot score by ${spec.scoring.method}: use "examples"`,
      });
    }
    if (spec.clients.min <= secAgg.threshold) {
      ctx.addIssue({
        code: "custom",
        path: ["clients", "min"],
        message: `must exceed secureAggregation.threshold (${secAgg.threshold}): a trainer needs that many neighbours`,
      });
    }
  });
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;

/**
 * The bytes an on-chain job's `modelSpecHash` commits to: the JobSpec as parsed (defaults filled in) in canonical
 * JSON (keys sorted, no whitespace), UTF-8. `modelSpecHash = sha256(canonicalJobSpecBytes(spec))`: the coordinator
 * stores these bytes for the researcher, and a trainer recomputes them from the spec it is served.
 */
export function canonicalJobSpecBytes(spec: JobSpec): Uint8Array {
  return new TextEncoder().encode(canonicalJson(spec));
}
