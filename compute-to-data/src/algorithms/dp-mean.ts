import { featureSize, type LabelledExamples } from "@tributary/model-runtime";
import { DiscreteLaplaceSampler, type SecureRandom } from "@tributary/privacy";
import { InvalidInputError } from "@tributary/protocol";
import { z } from "zod";
import { type C2dAlgorithm, EpsilonSchema, featureValue } from "./c2d-algorithm.js";
import { fromLattice, LATTICE_STEPS, toLattice } from "./lattice.js";
import { BoundSchema, checkBounds, checkFeature } from "./param-checks.js";

/** The most features one `dp-mean` run averages. */
export const MAX_MEAN_FEATURES = 64;

const DpMeanParamsSchema = z.strictObject({
  epsilon: EpsilonSchema,
  /** The features (columns, for CSV the non-label columns in file order, from 0) to average. */
  features: z
    .array(z.number().int().min(0))
    .min(1)
    .max(MAX_MEAN_FEATURES)
    .refine((features) => new Set(features).size === features.length, "features must not repeat"),
  /** Clipping bounds, the same for every feature: each value is clipped to [lower, upper] first. */
  lower: BoundSchema,
  upper: BoundSchema,
});
export type DpMeanParams = z.infer<typeof DpMeanParamsSchema>;

/** The noisy count and per-feature noisy lattice sums, before post-processing. */
export interface NoisyMeanParts {
  readonly count: number;
  /** Σ_i j_i per feature, j_i the record's lattice index in [0, 2^16], plus noise. */
  readonly latticeSums: readonly number[];
}

/** The exact lattice sums and count (inside the enclave only). */
export function trueLatticeSums(dataset: LabelledExamples, params: DpMeanParams): number[] {
  const size = featureSize(dataset);
  return params.features.map((feature) => {
    let sum = 0;
    for (let i = 0; i < dataset.count; i++) {
      sum += toLattice(featureValue(dataset, i, feature, size), params.lower, params.upper);
    }
    return sum;
  });
}

/**
 * The mechanism: count + DLap(2/ε) and each feature's lattice sum + DLap(2·k·2^16/ε), k the number of features
 * (L1 sensitivity of the sums: k·2^16), each half of ε.
 */
export function noisyMeanParts(
  count: number,
  sums: readonly number[],
  epsilon: number,
  random: SecureRandom,
): NoisyMeanParts {
  const countNoise = DiscreteLaplaceSampler.forEpsilon(1, epsilon / 2);
  const sumNoise = DiscreteLaplaceSampler.forEpsilon(sums.length * LATTICE_STEPS, epsilon / 2);
  return { count: count + countNoise.sample(random), latticeSums: sums.map((sum) => sum + sumNoise.sample(random)) };
}

/** Post-processing: mean_f = lower + (sum_f / max(1, count))·(upper − lower)/2^16, clamped to [lower, upper]. */
export function meansOf(parts: NoisyMeanParts, lower: number, upper: number): number[] {
  const count = Math.max(1, parts.count);
  return parts.latticeSums.map((sum) => fromLattice(sum / count, lower, upper));
}

/** `dp-mean`: the mean of chosen features over all records, clipped to bounds, with ε-DP. */
export const dpMean: C2dAlgorithm<DpMeanParams> = {
  name: "dp-mean",
  version: "1",
  description:
    "The mean of each chosen feature over all records, each value clipped to [lower, upper], released with ε-differential privacy together with the noisy record count it divides by.",
  mechanism:
    "Noisy sum over noisy count. Each value is clipped to [lower, upper] and rounded to the nearest of 2^16 + 1 evenly spaced points, as its index j in [0, 2^16]; " +
    "the per-feature sums of j and the record count get independent geometric (discrete Laplace) noise sampled exactly from the OS CSPRNG: the count with scale 2/ε " +
    "(sensitivity 1), each sum with scale 2·k·2^16/ε (k features: one record moves the sum vector by at most k·2^16 in L1). Each half is ε/2-DP, the pair ε-DP " +
    "(δ = 0) by basic composition, charged to the dataset's privacy ledger before any record is read. The mean lower + (sum/max(1, count))·(upper − lower)/2^16, " +
    "clamped to [lower, upper], is post-processing. Output: {means: one per feature, in the order asked, count: the noisy record count}.",
  params: DpMeanParamsSchema,
  checkParams(params, shape) {
    checkBounds(params.lower, params.upper, "params.upper");
    params.features.forEach((feature, index) => {
      checkFeature(feature, shape, `params.features[${index}]`);
    });
    if (!(params.upper - params.lower > 0 && Number.isFinite(params.upper - params.lower))) {
      throw new InvalidInputError("params", [{ path: "params.upper", message: "upper − lower must be finite" }]);
    }
  },
  output: (params) =>
    z.strictObject({
      means: z.array(z.number().min(params.lower).max(params.upper)).length(params.features.length),
      count: z.number().int(),
    }),
  cells: () => 1,
  epsilon: (params) => params.epsilon,
  async charge(params, context) {
    const charged = { epsilon: params.epsilon, delta: 0 };
    await context.charger.chargeRelease(charged, context.label);
    return {
      charged,
      compute: async () => {
        const parts = noisyMeanParts(
          context.dataset.count,
          trueLatticeSums(context.dataset, params),
          params.epsilon,
          context.random,
        );
        return { means: meansOf(parts, params.lower, params.upper), count: parts.count };
      },
    };
  },
};
