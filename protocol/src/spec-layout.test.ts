import { describe, expect, it } from "vitest";
import { layoutLength } from "./model-layout.js";
import { ModelSpecSchema } from "./model-spec.js";
import { FEDAVG_CNN, MLP_784_200_200_10 } from "./reference-models.js";
import { layoutFromSpec } from "./spec-layout.js";

const mlp = MLP_784_200_200_10;
const cnn = FEDAVG_CNN;

describe("layoutFromSpec", () => {
  it("gives the MLP 784-200-200-10 its closed-form 199,210 parameters", () => {
    expect(layoutLength(layoutFromSpec(mlp))).toBe(784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);
    expect(layoutFromSpec(mlp)[0]).toEqual({ name: "0.dense.kernel", shape: [784, 200] });
  });

  it("gives the FedAvg-paper CNN its 1,663,370 parameters (5·5·32+32, 5·5·32·64+64, 7·7·64·512+512, 5130)", () => {
    const layout = layoutFromSpec(cnn);
    expect(layoutLength(layout)).toBe(1_663_370);
    expect(layout.map((tensor) => tensor.shape)).toEqual([
      [5, 5, 1, 32],
      [32],
      [5, 5, 32, 64],
      [64],
      [3136, 512],
      [512],
      [512, 10],
      [10],
    ]);
  });

  it("applies valid padding and strides (28 → conv5 valid 24 → pool2 12 → conv3 stride 2 valid 5)", () => {
    const spec = ModelSpecSchema.parse({
      inputShape: [28, 28, 1],
      layers: [
        { type: "conv2d", filters: 4, kernelSize: [5, 5] },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "conv2d", filters: 2, kernelSize: [3, 3], strides: [2, 2], useBias: false },
        { type: "flatten" },
        { type: "dense", units: 3 },
      ],
      loss: "meanSquaredError",
    });
    expect(layoutFromSpec(spec).at(-2)).toEqual({ name: "4.dense.kernel", shape: [5 * 5 * 2, 3] });
  });

  it("names the layer whose input shape does not fit", () => {
    const spec = ModelSpecSchema.parse({
      inputShape: [784],
      layers: [{ type: "conv2d", filters: 4, kernelSize: [3, 3] }],
      loss: "meanSquaredError",
    });
    expect(() => layoutFromSpec(spec)).toThrow(
      /layer 0 \(conv2d\) needs an input of shape \[height, width, channels\]/,
    );
  });
});
