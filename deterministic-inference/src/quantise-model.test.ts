import {
  FEDAVG_CNN,
  layoutFromSpec,
  layoutLength,
  MLP_784_200_200_10,
  type ModelSpecInput,
  ModelSpecSchema,
} from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { QuantisationError, UnsupportedLayerError } from "./deterministic-errors.js";
import { quantiseModel } from "./quantise-model.js";

const zeros = (spec: ModelSpecInput) => new Float32Array(layoutLength(layoutFromSpec(ModelSpecSchema.parse(spec))));

const dense = (inputs: number, layers: ModelSpecInput["layers"]): ModelSpecInput => ({
  inputShape: [inputs],
  layers,
  loss: "sparseCategoricalCrossentropy",
});

describe("quantiseModel on the models Tributary trains", () => {
  it("MLP 784-200-200-10: three dense layers, ReLU on the hidden two, the softmax left to the logits", () => {
    const model = quantiseModel(MLP_784_200_200_10, zeros(MLP_784_200_200_10));
    expect(model.inputShape).toEqual([784]);
    expect(model.layers.map((layer) => [layer.op, "relu" in layer && layer.relu])).toEqual([
      ["dense", true],
      ["dense", true],
      ["dense", false],
    ]);
  });

  it("FedAvg CNN: conv same ReLU, pool, conv same ReLU, pool, flatten, dense ReLU, dense", () => {
    const model = quantiseModel(FEDAVG_CNN, zeros(FEDAVG_CNN));
    expect(model.layers.map((layer) => layer.op)).toEqual([
      "conv2d",
      "maxPool2d",
      "conv2d",
      "maxPool2d",
      "flatten",
      "dense",
      "dense",
    ]);
    expect(model.layers[5]).toMatchObject({ inputs: 7 * 7 * 64, units: 512, relu: true });
  });

  it("F_W is the largest scale that fits: max |w| = 0.7 → 15 (0.7 · 2^15 ≈ 22,938; 0.7 · 2^16 ≈ 45,875 > 32,767)", () => {
    const spec = dense(2, [{ type: "dense", units: 1, useBias: false }]);
    const [layer] = quantiseModel(spec, Float32Array.from([0.7, -0.1])).layers;
    expect(layer).toMatchObject({ weightFractionBits: 15 });
    // round(0.7f · 2^15) and round(−0.1f · 2^15), f the float32 value: 22937.6… → 22938, −3276.8… → −3277.
    expect(Array.from((layer as { kernel: Int16Array }).kernel)).toEqual([22938, -3277]);
  });
});

describe("quantiseModel refuses what it cannot evaluate exactly", () => {
  it("sigmoid, tanh, and a softmax before the last layer: UnsupportedLayerError naming the layer", () => {
    const sigmoid = dense(2, [{ type: "dense", units: 2, activation: "sigmoid" }]);
    expect(() => quantiseModel(sigmoid, zeros(sigmoid))).toThrow(UnsupportedLayerError);
    const tanh = dense(2, [
      { type: "dense", units: 2 },
      { type: "activation", activation: "tanh" },
    ]);
    expect(() => quantiseModel(tanh, zeros(tanh))).toThrow(/layer 1 \(activation\) has activation tanh/);
    const early = dense(2, [
      { type: "dense", units: 2, activation: "softmax" },
      { type: "dense", units: 2 },
    ]);
    expect(() => quantiseModel(early, zeros(early))).toThrow(/layer 1 \(dense\) follows the softmax of layer 0/);
  });

  it("accepts a final softmax followed only by dropout or a linear activation", () => {
    const spec = dense(2, [
      { type: "dense", units: 2 },
      { type: "activation", activation: "softmax" },
      { type: "dropout", rate: 0.5 },
      { type: "activation", activation: "linear" },
    ]);
    expect(quantiseModel(spec, zeros(spec)).layers.map((layer) => layer.op)).toEqual(["dense"]);
  });

  it("weights of the wrong length, not finite, or too large; a fan-in over 2^14: QuantisationError", () => {
    const spec = dense(2, [{ type: "dense", units: 1 }]);
    expect(() => quantiseModel(spec, new Float32Array(2))).toThrow(QuantisationError);
    expect(() => quantiseModel(spec, Float32Array.from([0, Number.NaN, 0]))).toThrow(/weight 1 is not finite/);
    expect(() => quantiseModel(spec, Float32Array.from([40_000, 0, 0]))).toThrow(/too large/);
    // A bias of 2^40 needs F_A + F_W ≤ 11 bits to stay within 2^51: impossible with F_A = 12.
    expect(() => quantiseModel(spec, Float32Array.from([1, 1, 2 ** 40]))).toThrow(QuantisationError);
    const wide = dense(16_385, [{ type: "dense", units: 1 }]);
    expect(() => quantiseModel(wide, zeros(wide))).toThrow(/16385 products per output/);
    const deep: ModelSpecInput = {
      inputShape: [5, 5, 700],
      layers: [{ type: "conv2d", filters: 1, kernelSize: [5, 5] }],
      loss: "meanSquaredError",
    };
    expect(() => quantiseModel(deep, zeros(deep))).toThrow(/17500 products per output/);
  });
});
