import { featureSize, type LabelledExamples } from "@tributary/model-runtime";
import { DiscreteLaplaceSampler, type SecureRandom } from "@tributary/privacy";
import { z } from "zod";
import { type C2dAlgorithm, EpsilonSchema, featureValue } from "./c2d-algorithm.js";
import { checkFeature, checkLabel } from "./param-checks.js";

const WhereSchema = z.strictObject({
  /** Only records of this class. */
  label: z.number().int().min(0).optional(),
  /** Only records whose feature `index` is at least `atLeast` and below `below` (values as stored). */
  feature: z
    .strictObject({
      index: z.number().int().min(0),
      atLeast: z.number().optional(),
      below: z.number().optional(),
    })
    .optional(),
});

const DpCountParamsSchema = z.strictObject({
  epsilon: EpsilonSchema,
  /** Count only the records that match (all of) these; omitted, every record. */
  where: WhereSchema.optional(),
});
export type DpCountParams = z.infer<typeof DpCountParamsSchema>;

/** Whether record `i` matches the filter. */
function matches(dataset: LabelledExamples, i: number, where: DpCountParams["where"], size: number): boolean {
  if (where === undefined) return true;
  if (where.label !== undefined && dataset.labels[i] !== where.label) return false;
  const feature = where.feature;
  if (feature !== undefined) {
    const value = featureValue(dataset, i, feature.index, size);
    if (feature.atLeast !== undefined && !(value >= feature.atLeast)) return false;
    if (feature.below !== undefined && !(value < feature.below)) return false;
  }
  return true;
}

/** The exact count of matching records (inside the enclave only). */
export function trueCount(dataset: LabelledExamples, where: DpCountParams["where"]): number {
  const size = featureSize(dataset);
  let count = 0;
  for (let i = 0; i < dataset.count; i++) if (matches(dataset, i, where, size)) count++;
  return count;
}

/** The geometric mechanism for a count: count + DLap(1/ε), an integer (sensitivity 1 under add/remove-one). */
export function noisyCount(count: number, epsilon: number, random: SecureRandom): number {
  return count + DiscreteLaplaceSampler.forEpsilon(1, epsilon).sample(random);
}

/** `dp-count`: how many records (that match a filter), with ε-DP. */
export const dpCount: C2dAlgorithm<DpCountParams> = {
  name: "dp-count",
  version: "1",
  description:
    "The number of records, or of those matching `where` (a class, a feature range), released as an integer with ε-differential privacy.",
  mechanism:
    "Geometric (discrete Laplace) mechanism: count + K, P(K = k) ∝ exp(−ε|k|), sampled exactly from the OS CSPRNG. " +
    "Adding or removing one record moves the count by at most 1 (L1 sensitivity 1), so the release is ε-DP (δ = 0); " +
    "ε is charged to the dataset's privacy ledger by basic composition before any record is read. " +
    "Output: {count: integer} (may be negative or above the record count: the noise is not clamped).",
  params: DpCountParamsSchema,
  checkParams(params, shape) {
    if (params.where?.label !== undefined) checkLabel(params.where.label, shape, "params.where.label");
    if (params.where?.feature !== undefined)
      checkFeature(params.where.feature.index, shape, "params.where.feature.index");
  },
  output: () => z.strictObject({ count: z.number().int() }),
  // A filtered count splits the records in two: those it counts and the rest.
  cells: (params) => (params.where === undefined ? 1 : 2),
  epsilon: (params) => params.epsilon,
  async charge(params, context) {
    const charged = { epsilon: params.epsilon, delta: 0 };
    await context.charger.chargeRelease(charged, context.label);
    return {
      charged,
      compute: async () => ({
        count: noisyCount(trueCount(context.dataset, params.where), params.epsilon, context.random),
      }),
    };
  },
};
