/**
 * Labelled examples held in memory, example after example, as the model runtime reads them: a trainer's local
 * dataset or a researcher's validation set. Features keep the values stored in the files (0–255 for 8-bit
 * images); `featureScale` is applied when they enter a model, in one place (`modelObjective`).
 */
export interface LabelledExamples {
  /** `count × product(featureShape)` values, row-major. */
  readonly features: Float32Array;
  /** One class index in `[0, numClasses)` per example. */
  readonly labels: Int32Array;
  /** Shape of one example's features, e.g. `[28, 28]` for MNIST images, `[n]` for tabular rows. */
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  readonly count: number;
  /** Multiplier applied to features before they enter the model: `1/255` for 8-bit images, `1` otherwise. */
  readonly featureScale: number;
}

/** Features per example: the product of `featureShape`. */
export function featureSize(examples: Pick<LabelledExamples, "featureShape">): number {
  return examples.featureShape.reduce((product, dim) => product * dim, 1);
}
