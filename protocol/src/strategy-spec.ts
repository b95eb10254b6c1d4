import { z } from "zod";
import { CidSchema } from "./ids.js";

const serverLr = z.number().positive().max(100);
const byzantine = z.number().int().nonnegative();
const ROOT_DATASET_MISSING =
  "is missing: fltrust trains the server's own update each round on a root dataset the researcher uploads (POST /validation-sets, encodeValidationSet format; the CLI's --root-dataset FILE)";

/**
 * How the coordinator turns a round's updates into the next global model: the aggregation rule and, for the
 * adaptive rules of Reddi et al. (2021), the server optimiser's hyper-parameters.
 */
export const StrategySpecSchema = z.discriminatedUnion("name", [
  z.strictObject({ name: z.literal("fedavg") }),
  z.strictObject({ name: z.literal("fedavgm"), serverLr: serverLr.default(1), momentum: z.number().min(0).lt(1) }),
  z.strictObject({ name: z.literal("fedadagrad"), serverLr, tau: z.number().positive().default(1e-3) }),
  z.strictObject({
    name: z.literal("fedadam"),
    serverLr,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.99),
    tau: z.number().positive().default(1e-3),
  }),
  z.strictObject({
    name: z.literal("fedyogi"),
    serverLr,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.99),
    tau: z.number().positive().default(1e-3),
  }),
  z.strictObject({ name: z.literal("krum"), f: byzantine }),
  z.strictObject({ name: z.literal("multikrum"), f: byzantine, m: z.number().int().positive() }),
  z.strictObject({ name: z.literal("trimmedmean"), trim: byzantine }),
  z.strictObject({ name: z.literal("median") }),
  z.strictObject({ name: z.literal("bulyan"), f: byzantine }),
  /**
   * Centred clipping (Karimireddy, He and Jaggi 2021): from the previous round's aggregate, `iterations` steps of
   * v ← v + mean_i clip_τ(x_i − v). `tau` is the clipping radius (an L2 norm in the deltas' units); absent, each
   * iteration uses the median distance of the updates to v.
   */
  z.strictObject({
    name: z.literal("centredclip"),
    tau: z.number().positive().max(1e6).optional(),
    iterations: z.number().int().min(1).max(20).default(3),
  }),
  /**
   * FLTrust (Cao, Fang, Liu and Gong 2021): each round the coordinator trains its own update g₀ from the round's
   * input model on the researcher's root dataset (`rootDatasetCid`, a blob in `encodeValidationSet`'s format,
   * uploaded like a validation set: `POST /validation-sets`) with the job's hyper-parameters, then weighs each update
   * by ReLU(cos(g_i, g₀)) after rescaling it to ‖g₀‖. The root set should be a small clean sample of the task (the
   * paper uses 100 examples), kept apart from the validation set that scores contributions.
   */
  z.strictObject({
    name: z.literal("fltrust"),
    rootDatasetCid: z
      .string({ error: (issue) => (issue.input === undefined ? ROOT_DATASET_MISSING : undefined) })
      .pipe(CidSchema),
  }),
]);
export type StrategySpec = z.infer<typeof StrategySpecSchema>;
export type StrategyName = StrategySpec["name"];
