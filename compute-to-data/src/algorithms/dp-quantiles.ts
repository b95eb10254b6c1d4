import { featureSize, type LabelledExamples } from "@tributary/model-runtime";
import { exponentialQuantile, type SecureRandom } from "@tributary/privacy";
import { z } from "zod";
import { type C2dAlgorithm, EpsilonSchema, featureValue } from "./c2d-algorithm.js";
import { fromLattice, LATTICE_STEPS, toLattice } from "./lattice.js";
import { BoundSchema, checkBounds, checkFeature, strictlyIncreasing } from "./param-checks.js";

/** The most quantiles one run releases. */
export const MAX_QUANTILES = 99;

const DpQuantilesParamsSchema = z.strictObject({
  /** ε of the whole run, split evenly over the quantiles. */
  epsilon: EpsilonSchema,
  feature: z.number().int().min(0),
  /** The quantiles q, each in (0, 1), strictly increasing. */
  quantiles: z
    .array(z.number().gt(0).lt(1))
    .min(1)
    .max(MAX_QUANTILES)
    .refine(strictlyIncreasing, "quantiles must be strictly increasing"),
  /** The range the answers lie in: values are clipped to it, answers are points of it. */
  lower: BoundSchema,
  upper: BoundSchema,
});
export type DpQuantilesParams = z.infer<typeof DpQuantilesParamsSchema>;

/** The feature's values as sorted lattice indices (inside the enclave only). */
export function sortedLattice(dataset: LabelledExamples, params: DpQuantilesParams): Int32Array {
  const size = featureSize(dataset);
  const indices = new Int32Array(dataset.count);
  for (let i = 0; i < dataset.count; i++) {
    indices[i] = toLattice(featureValue(dataset, i, params.feature, size), params.lower, params.upper);
  }
  return indices.sort();
}

/** Each quantile by the exponential mechanism at ε/m, as values of [lower, upper]. */
export function noisyQuantiles(sorted: Int32Array, params: DpQuantilesParams, random: SecureRandom): number[] {
  const epsilon = params.epsilon / params.quantiles.length;
  return params.quantiles.map((quantile) =>
    fromLattice(
      exponentialQuantile({ sorted, gridSize: LATTICE_STEPS + 1, quantile, epsilon }, random),
      params.lower,
      params.upper,
    ),
  );
}

/** `dp-quantiles`: quantiles of one feature, with ε-DP. */
export const dpQuantiles: C2dAlgorithm<DpQuantilesParams> = {
  name: "dp-quantiles",
  version: "1",
  description:
    "Quantiles (e.g. 0.25, 0.5, 0.75) of one feature over all records, within [lower, upper], released with ε-differential privacy.",
  mechanism:
    "Exponential mechanism per quantile (McSherry & Talwar 2007; Smith 2011) over the data-independent grid of 2^16 + 1 evenly spaced points of [lower, upper]: " +
    "values are clipped and rounded to the grid, and point y is released with probability ∝ exp(ε_q·u(y)/2), u(y) = −max(0, #{x < y} − qn, qn − #{x ≤ y}), " +
    "which moves by at most 1 when one record is added or removed: ε_q-DP per quantile. The m quantiles each get ε_q = ε/m and compose to ε-DP (δ = 0) by " +
    "basic composition, charged to the dataset's privacy ledger before any record is read. Runs of equal utility are chosen with float64 weights and a 53-bit " +
    "uniform from the OS CSPRNG (probabilities off by a relative ~1e−12 at most), the point within a run exactly. Output: {values: one per quantile, in the order asked}.",
  params: DpQuantilesParamsSchema,
  checkParams(params, shape) {
    checkFeature(params.feature, shape, "params.feature");
    checkBounds(params.lower, params.upper, "params.upper");
  },
  output: (params) =>
    z.strictObject({ values: z.array(z.number().min(params.lower).max(params.upper)).length(params.quantiles.length) }),
  // m quantiles cut the records into m + 1 intervals.
  cells: (params) => params.quantiles.length + 1,
  epsilon: (params) => params.epsilon,
  async charge(params, context) {
    const charged = { epsilon: params.epsilon, delta: 0 };
    await context.charger.chargeRelease(charged, context.label);
    return {
      charged,
      compute: async () => ({ values: noisyQuantiles(sortedLattice(context.dataset, params), params, context.random) }),
    };
  },
};
