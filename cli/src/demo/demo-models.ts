import type { ModelSpec } from "@tributary/protocol";

/** The two models of the demo and the benchmarks: the MLP 784-200-200-10 and the CNN of McMahan et al. (2017). */
export const DEMO_MODELS: Record<"mlp" | "cnn", ModelSpec> = {
  mlp: {
    inputShape: [784],
    layers: [
      { type: "dense", units: 200, activation: "relu", useBias: true },
      { type: "dense", units: 200, activation: "relu", useBias: true },
      { type: "dense", units: 10, activation: "softmax", useBias: true },
    ],
    loss: "sparseCategoricalCrossentropy",
    numClasses: 10,
  },
  cnn: {
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
  },
};
