import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { modelSpecOf } from "./build-model.js";
import { ModelInputError } from "./errors.js";
import type { LabelledExamples } from "./labelled-examples.js";
import { type ModelObjective, modelObjective } from "./model-objective.js";

export interface EvaluationResult {
  /** Mean per-example loss (the spec's loss, inference mode: dropout off). */
  readonly loss: number;
  readonly accuracy: number;
  readonly numExamples: number;
}

/**
 * The summed per-example loss and the number of correct predictions of one batch, as a float32 tensor
 * `[lossSum, correct]` (one read gives both). Inference mode: dropout off. Call inside `tf.tidy`.
 */
export function batchScores(
  model: tfl.LayersModel,
  objective: ModelObjective,
  batch: { x: tf.Tensor; targets: tf.Tensor; labels: tf.Tensor1D },
): tf.Tensor1D {
  const predictions = model.apply(batch.x, { training: false }) as tf.Tensor;
  const scores = [tf.sum(objective.loss(batch.targets, predictions)), objective.correct(batch.labels, predictions)];
  return tf.stack(scores) as tf.Tensor1D;
}

/** Loss and accuracy of a `buildModel` model on labelled examples, in batches of `batchSize` (default 256). */
export function evaluate(model: tfl.LayersModel, dataset: LabelledExamples, batchSize = 256): EvaluationResult {
  if (dataset.count < 1) throw new ModelInputError("cannot evaluate on an empty dataset");
  const objective = modelObjective(modelSpecOf(model), dataset);
  let lossSum = 0;
  let correctSum = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    const end = Math.min(dataset.count, start + batchSize);
    const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
    const scores = tf.tidy(() => batchScores(model, objective, objective.batch(indices)));
    const [loss, correct] = scores.dataSync();
    scores.dispose();
    lossSum += loss ?? Number.NaN;
    correctSum += correct ?? 0;
  }
  return { loss: lossSum / dataset.count, accuracy: correctSum / dataset.count, numExamples: dataset.count };
}
