import * as tf from "@tensorflow/tfjs-core";
import { buildModel, setFlatWeights } from "@tributary/model-runtime";
import { inferModelShapes, type ModelSpec } from "@tributary/protocol";

/** A model ready to answer: its shapes per example and a batched forward pass. */
export interface ServedModel {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Floats per example in and out. */
  readonly inputSize: number;
  readonly outputSize: number;
  /** Outputs of `count` examples packed in `input`, packed the same way. */
  predict(input: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

const product = (shape: readonly number[]) => shape.reduce((total, size) => total * size, 1);

/**
 * Builds the model of `spec` on the process's tfjs backend (choose it first with model-runtime's
 * `initModelBackend`), gives it `weights` (flat, in `modelLayout` order) and wraps its forward pass.
 */
export function loadServedModel(spec: ModelSpec, weights: Float32Array): ServedModel {
  const model = buildModel(spec);
  setFlatWeights(model, weights);
  const inputShape = [...spec.inputShape];
  const outputShape = inferModelShapes(spec).outputShape;
  const inputSize = product(inputShape);
  const outputSize = product(outputShape);
  return {
    inputShape,
    outputShape,
    inputSize,
    outputSize,
    async predict(input, count) {
      const output = tf.tidy(() => model.predict(tf.tensor(input, [count, ...inputShape], "float32")) as tf.Tensor);
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
