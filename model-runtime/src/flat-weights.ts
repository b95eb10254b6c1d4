import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { WeightsLengthError } from "./errors.js";

/** Number of trainable parameters of a model. */
export function parameterCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((total, weight) => total + weight.read().size, 0);
}

/**
 * The model's trainable weights as one flat Float32Array, tensor after tensor in `modelLayout` order, each
 * tensor row-major (the layout the coordinator aggregates and hashes).
 */
export function getFlatWeights(model: tfl.LayersModel): Float32Array {
  const flat = new Float32Array(parameterCount(model));
  let offset = 0;
  for (const weight of model.trainableWeights) {
    const values = weight.read().dataSync() as Float32Array;
    flat.set(values, offset);
    offset += values.length;
  }
  return flat;
}

/** Overwrites the model's trainable weights from a flat vector (exact copy); throws `WeightsLengthError` on a wrong length. */
export function setFlatWeights(model: tfl.LayersModel, flat: Float32Array): void {
  const expected = parameterCount(model);
  if (flat.length !== expected) throw new WeightsLengthError(expected, flat.length);
  let offset = 0;
  for (const weight of model.trainableWeights) {
    const { size, shape } = weight.read();
    const tensor = tf.tensor(flat.slice(offset, offset + size), shape, "float32");
    weight.write(tensor);
    tensor.dispose();
    offset += size;
  }
}
