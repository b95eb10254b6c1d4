import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { modelSpecOf } from "./build-model.js";
import type { Dataset } from "./dataset.js";
import { TrainingConfigError } from "./errors.js";
import { modelObjective } from "./model-objective.js";

export interface EvaluationResult {
  /** Mean per-example loss (the spec's loss, inference mode: dropout off). */
  readonly loss: number;
  readonly accuracy: number;
  readonly numExamples: number;
}

/** Loss and accuracy of a `buildModel` model on a dataset, in batches of `batchSize` (default 256). */
export function evaluate(model: tfl.LayersModel, dataset: Dataset, batchSize = 256): EvaluationResult {
  if (dataset.count < 1) throw new TrainingConfigError("cannot evaluate on an empty dataset");
  const objective = modelObjective(modelSpecOf(model), dataset);
  let lossSum = 0;
  let correctSum = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const end = Math.min(dataset.count, start + batchSize);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    tf.tidy(() => {
      const { x, targets, labels } = objective.batch(indices);
      const predictions = model.apply(x, { training: false }) as tf.Tensor;
      lossSum += tf.sum(objective.loss(targets, predictions)).dataSync()[0] ?? Number.NaN;
      correctSum += objective.correct(labels, predictions).dataSync()[0] ?? 0;
    });
  }
  return { loss: lossSum / dataset.count, accuracy: correctSum / dataset.count, numExamples: dataset.count };
}
