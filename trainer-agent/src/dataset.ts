import { featureSize, type LabelledExamples } from "@tributary/model-runtime";

/**
 * A labelled dataset held in memory, record after record: the model runtime's `LabelledExamples`. Features keep
 * the values stored in the files (0–255 for 8-bit images); `featureScale` (`1/255` for 8-bit images) is applied
 * when they enter a model.
 */
export type Dataset = LabelledExamples;

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
