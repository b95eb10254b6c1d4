import type { ModelSpec } from "./model-spec.js";

/**
 * The two models the issues, benchmarks and the demo name: the MLP 784-200-200-10 and the CNN of McMahan et al.
 * (2017), "Communication-Efficient Learning of Deep Networks from Decentralized Data", for 28×28 greyscale images.
 */
export const MLP_784_200_200_10: ModelSpec = {
  inputShape: [784],
  layers: [
    { type: "dense", units: 200, activation: "relu", useBias: true },
    { type: "dense", units: 200, activation: "relu", useBias: true },
    { type: "dense", units: 10, activation: "softmax", useBias: true },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
};

export const FEDAVG_CNN: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    {
      type: "conv2d",
      filters: 32,
      kernelSize: [5, 5],
      strides: [1, 1],
      padding: "same",
      activation: "relu",
      useBias: true,
    },
    { type: "maxPool2d", poolSize: [2, 2], padding: "valid" },
    {
      type: "conv2d",
      filters: 64,
      kernelSize: [5, 5],
      strides: [1, 1],
      padding: "same",
      activation: "relu",
      useBias: true,
    },
    { type: "maxPool2d", poolSize: [2, 2], padding: "valid" },
    { type: "flatten" },
    { type: "dense", units: 512, activation: "relu", useBias: true },
    { type: "dense", units: 10, activation: "softmax", useBias: true },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
};
