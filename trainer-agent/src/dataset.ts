/**
 * A labelled dataset held in memory, record after record. Features keep the values stored in the files (0–255 for
 * 8-bit images); `featureScale` is applied when they enter a model, in one place (`batchTensors`).
 */
export interface Dataset {
  /** `count × product(featureShape)` values, row-major. */
  readonly features: Float32Array;
  /** One class index in `[0, numClasses)` per record. */
  readonly labels: Int32Array;
  /** Shape of one record's features, e.g. `[28, 28]` for MNIST images, `[n]` for tabular rows. */
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  readonly count: number;
  /** Multiplier applied to features before training: `1/255` for 8-bit images, `1` otherwise. */
  readonly featureScale: number;
}

export function featureSize(dataset: Pick<Dataset, "featureShape">): number {
  return dataset.featureShape.reduce((product, dim) => product * dim, 1);
}

/** Records per class, `numClasses` entries. */
export function labelHistogram(labels: ArrayLike<number>, numClasses: number): number[] {
  const histogram = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    histogram[label] = (histogram[label] ?? 0) + 1;
  }
  return histogram;
}

/** The records at `indices`, in that order, as a new dataset (copies the data). */
export function subsetDataset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const size = featureSize(dataset);
  const features = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    features.set(dataset.features.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index] as number;
  }
  return { ...dataset, features, labels, count: indices.length };
}
