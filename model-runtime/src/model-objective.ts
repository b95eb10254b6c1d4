import * as tf from "@tensorflow/tfjs-core";
import { inferModelShapes, type ModelSpec } from "@tributary/protocol";
import { ModelInputError } from "./errors.js";
import { featureSize, type LabelledExamples } from "./labelled-examples.js";

/** Clipping of probabilities before the log, as Keras and tfjs-layers do. */
const EPSILON = 1e-7;

/**
 * What a model is trained to do, derived from its spec and checked against labelled examples: how examples become
 * input and target tensors, the per-example loss, and what counts as a correct prediction. Training and
 * evaluation share it, so a validation loss is the very loss the trainers minimise.
 */
export interface ModelObjective {
  /** `[n, ...inputShape]` inputs and the targets the loss compares predictions with, for the examples at `indices`. */
  batch(indices: ArrayLike<number>): { x: tf.Tensor; targets: tf.Tensor; labels: tf.Tensor1D };
  /** Per-example loss, shape `[n]`. */
  loss(targets: tf.Tensor, predictions: tf.Tensor): tf.Tensor1D;
  /** Number of correct predictions in the batch (a scalar, float). */
  correct(labels: tf.Tensor1D, predictions: tf.Tensor): tf.Scalar;
}

/**
 * The objective of `spec` over `dataset`. Features enter the model reshaped row-major to `inputShape`, so only
 * their count per example must match (`[28, 28]` images feed a `[784]` or `[28, 28, 1]` input). Throws
 * `ModelInputError` when it differs or when the examples have more classes than the model has outputs.
 */
export function modelObjective(spec: ModelSpec, dataset: LabelledExamples): ModelObjective {
  const { outputShape } = inferModelShapes(spec);
  const outputs = outputShape[outputShape.length - 1] ?? 0;
  const size = featureSize(dataset);
  const inputSize = spec.inputShape.reduce((p, d) => p * d, 1);
  if (size !== inputSize) {
    throw new ModelInputError(
      `examples have ${size} features (shape [${dataset.featureShape}]) but the model takes ${inputSize} ([${spec.inputShape}])`,
      { expected: spec.inputShape, actual: dataset.featureShape },
    );
  }
  const oneHot = spec.loss !== "meanSquaredError" || outputs > 1;
  if (oneHot && dataset.numClasses > outputs) {
    throw new ModelInputError(`the examples have ${dataset.numClasses} classes but the model has ${outputs} outputs`, {
      expected: outputs,
      actual: dataset.numClasses,
    });
  }
  let scratch = new Float32Array(0);

  return {
    batch(indices) {
      const n = indices.length;
      if (scratch.length < n * size) scratch = new Float32Array(n * size);
      const labels = new Int32Array(n);
      const scale = dataset.featureScale;
      for (let i = 0; i < n; i++) {
        const index = indices[i] as number;
        const row = dataset.features.subarray(index * size, (index + 1) * size);
        const offset = i * size;
        for (let j = 0; j < size; j++) scratch[offset + j] = (row[j] as number) * scale;
        labels[i] = dataset.labels[index] as number;
      }
      // tf.tensor keeps a reference on some backends: hand it a copy, never the reused scratch buffer.
      const x = tf.tensor(scratch.slice(0, n * size), [n, ...spec.inputShape], "float32");
      const labelTensor = tf.tensor1d(labels, "int32");
      const targets = oneHot
        ? // int32 then cast: the wasm backend's OneHot writes integer bits into float32 outputs (tfjs 4.22).
          tf.cast(tf.oneHot(labelTensor, outputs), "float32")
        : tf.tensor2d(Float32Array.from(labels), [n, 1], "float32");
      return { x, targets, labels: labelTensor };
    },
    loss(targets, predictions) {
      if (spec.loss === "meanSquaredError")
        return tf.mean(tf.squaredDifference(predictions, targets), -1) as tf.Tensor1D;
      const clipped = tf.clipByValue(predictions, EPSILON, 1 - EPSILON);
      return tf.neg(tf.sum(tf.mul(targets, tf.log(clipped)), -1)) as tf.Tensor1D;
    },
    correct(labels, predictions) {
      const predicted = oneHot ? tf.argMax(predictions, -1) : tf.cast(tf.round(tf.reshape(predictions, [-1])), "int32");
      return tf.sum(tf.cast(tf.equal(predicted, labels), "float32"));
    },
  };
}
