import { featureSize, type LabelledExamples } from "@tributary/model-runtime";
import { DiscreteLaplaceSampler } from "@tributary/privacy";
import { z } from "zod";
import { type C2dAlgorithm, type DataShape, EpsilonSchema, featureValue } from "./c2d-algorithm.js";
import { BoundSchema, checkFeature, strictlyIncreasing } from "./param-checks.js";

/** The most bins a histogram may have (the owner's granularity rule usually allows far fewer). */
export const MAX_HISTOGRAM_BINS = 1000;

const DpHistogramParamsSchema = z.discriminatedUnion("of", [
  /** Records per class: one bin per class, 0 … numClasses − 1. */
  z.strictObject({ of: z.literal("label"), epsilon: EpsilonSchema }),
  /**
   * Records per range of feature `feature` (values as stored): bin i is [edges[i], edges[i + 1]), the last bin
   * closed; values below the first edge count in the first bin, values above the last in the last.
   */
  z.strictObject({
    of: z.literal("feature"),
    epsilon: EpsilonSchema,
    feature: z.number().int().min(0),
    edges: z
      .array(BoundSchema)
      .min(2)
      .max(MAX_HISTOGRAM_BINS + 1)
      .refine(strictlyIncreasing, "edges must be strictly increasing"),
  }),
]);
export type DpHistogramParams = z.infer<typeof DpHistogramParamsSchema>;

function bins(params: DpHistogramParams, shape: DataShape): number {
  return params.of === "label" ? shape.numClasses : params.edges.length - 1;
}

/** The bin of `value`: the last edge at or below it (clamped to the first and last bins). */
function binOf(value: number, edges: readonly number[]): number {
  let low = 0;
  let high = edges.length - 2;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((edges[middle] as number) <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The exact histogram (inside the enclave only). */
export function trueHistogram(dataset: LabelledExamples, params: DpHistogramParams): number[] {
  const counts = new Array<number>(params.of === "label" ? dataset.numClasses : params.edges.length - 1).fill(0);
  const size = featureSize(dataset);
  for (let i = 0; i < dataset.count; i++) {
    const bin =
      params.of === "label"
        ? (dataset.labels[i] as number)
        : binOf(featureValue(dataset, i, params.feature, size), params.edges);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

/** `dp-histogram`: records per class or per range of a feature, with ε-DP. */
export const dpHistogram: C2dAlgorithm<DpHistogramParams> = {
  name: "dp-histogram",
  version: "1",
  description:
    "Records per class (`of: label`) or per range of one feature (`of: feature` with bin `edges`), each count released as an integer with ε-differential privacy for the whole histogram.",
  mechanism:
    "Geometric (discrete Laplace) mechanism on every bin: count_i + K_i, P(K_i = k) ∝ exp(−ε|k|), independent, sampled exactly from the OS CSPRNG. " +
    "The bins are fixed by the parameters, never by the data, and a record falls in exactly one, so adding or removing one record moves one count by 1 " +
    "(L1 sensitivity 1): the whole histogram is ε-DP (δ = 0), charged to the dataset's privacy ledger before any record is read. " +
    "No bin is suppressed on its true count (that decision would itself leak); the owner's granularity rule bounds the bins by the public record count instead. " +
    "Output: {counts: integer per bin} (not clamped at 0).",
  params: DpHistogramParamsSchema,
  checkParams(params, shape) {
    if (params.of === "feature") checkFeature(params.feature, shape, "params.feature");
  },
  output: (params, shape) => z.strictObject({ counts: z.array(z.number().int()).length(bins(params, shape)) }),
  cells: bins,
  epsilon: (params) => params.epsilon,
  async charge(params, context) {
    const charged = { epsilon: params.epsilon, delta: 0 };
    await context.charger.chargeRelease(charged, context.label);
    return {
      charged,
      compute: async () => {
        const noise = DiscreteLaplaceSampler.forEpsilon(1, params.epsilon);
        return { counts: trueHistogram(context.dataset, params).map((count) => count + noise.sample(context.random)) };
      },
    };
  },
};
