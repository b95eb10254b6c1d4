import * as tf from "@tensorflow/tfjs-core";
import {
  FEDAVG_CNN as FEDAVG_CNN_SPEC,
  layoutFromSpec,
  layoutLength,
  layoutOffsets,
  MLP_784_200_200_10,
  ModelSpecError,
  type ModelSpecInput,
  ModelSpecSchema,
} from "@tributary/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { WeightsLengthError } from "./errors.js";
import { getFlatWeights, parameterCount, setFlatWeights } from "./flat-weights.js";
import { initModelBackend } from "./model-backend.js";

const modelLayout = (spec: ModelSpecInput) => layoutFromSpec(ModelSpecSchema.parse(spec));

const MLP: ModelSpecInput = MLP_784_200_200_10;
/** The CNN of McMahan et al. 2017, here with a one-hot (categorical) loss to exercise that path too. */
const FEDAVG_CNN: ModelSpecInput = { ...FEDAVG_CNN_SPEC, loss: "categoricalCrossentropy" };

beforeAll(async () => {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
});

describe("modelLayout", () => {
  it("gives the MLP 784-200-200-10 its closed-form 199,210 parameters, kernel then bias per layer", () => {
    const layout = modelLayout(MLP);
    expect(layout.map((t) => t.name)).toEqual([
      "0.dense.kernel",
      "0.dense.bias",
      "1.dense.kernel",
      "1.dense.bias",
      "2.dense.kernel",
      "2.dense.bias",
    ]);
    expect(layoutLength(layout)).toBe(784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);
    expect(layoutLength(layout)).toBe(199_210);
    expect(layoutOffsets(layout).map((t) => t.offset)).toEqual([0, 156_800, 157_000, 197_000, 197_200, 199_200]);
  });

  it("gives the FedAvg CNN its closed-form 1,663,370 parameters (28→14→7 after two 2×2 pools)", () => {
    const layout = modelLayout(FEDAVG_CNN);
    expect(layout.map((t) => t.shape)).toEqual([
      [5, 5, 1, 32],
      [32],
      [5, 5, 32, 64],
      [64],
      [7 * 7 * 64, 512],
      [512],
      [512, 10],
      [10],
    ]);
    const closedForm = 5 * 5 * 1 * 32 + 32 + (5 * 5 * 32 * 64 + 64) + (7 * 7 * 64 * 512 + 512) + (512 * 10 + 10);
    expect(layoutLength(layout)).toBe(closedForm);
    expect(closedForm).toBe(1_663_370);
  });

  it("follows valid padding, strides and bias-free layers", () => {
    const layout = modelLayout({
      inputShape: [11, 9, 3],
      layers: [
        { type: "conv2d", filters: 4, kernelSize: [3, 2], strides: [2, 2], useBias: false },
        { type: "maxPool2d", poolSize: [2, 2], strides: [1, 1] },
        { type: "flatten" },
        { type: "dense", units: 2, useBias: false },
      ],
      loss: "meanSquaredError",
    });
    // conv valid: floor((11-3)/2)+1 = 5, floor((9-2)/2)+1 = 4; pool 2 stride 1: 4 × 3; flatten 4·3·4 = 48.
    expect(layout).toEqual([
      { name: "0.conv2d.kernel", shape: [3, 2, 3, 4] },
      { name: "3.dense.kernel", shape: [48, 2] },
    ]);
  });

  it("refuses specs that cannot be built, with a typed error", () => {
    expect(() =>
      modelLayout({
        inputShape: [784],
        layers: [{ type: "conv2d", filters: 2, kernelSize: [3, 3] }],
        loss: "meanSquaredError",
      }),
    ).toThrow(ModelSpecError);
    expect(() => modelLayout({ ...MLP, numClasses: 7 })).toThrow(/10 outputs but the spec says 7 classes/);
    expect(() =>
      modelLayout({
        inputShape: [2, 2, 1],
        layers: [{ type: "conv2d", filters: 1, kernelSize: [3, 3] }],
        loss: "meanSquaredError",
      }),
    ).toThrow(/larger than its input/);
  });
});

describe("buildModel and flat weights", () => {
  it("builds models whose trainable weights follow the layout (tfjs counts the same parameters)", () => {
    for (const spec of [MLP, FEDAVG_CNN]) {
      const model = buildModel(spec);
      const layout = modelLayout(spec);
      expect(model.trainableWeights.map((w) => w.shape)).toEqual(layout.map((t) => t.shape));
      expect(model.countParams()).toBe(layoutLength(layout));
      expect(parameterCount(model)).toBe(layoutLength(layout));
      model.dispose();
    }
  });

  it("round-trips every float bit-exactly and places each tensor at its layout offset", () => {
    const model = buildModel(MLP);
    const n = parameterCount(model);
    const flat = new Float32Array(n);
    for (let i = 0; i < n; i++) flat[i] = Math.sin(i) * 10 ** ((i % 7) - 3);
    flat.set([-0, 1e-45, 3.4e38, -1.17549435e-38], 100);
    setFlatWeights(model, flat);
    const back = getFlatWeights(model);
    expect(Buffer.from(back.buffer).equals(Buffer.from(flat.buffer))).toBe(true);
    layoutOffsets(modelLayout(MLP)).forEach((tensor, i) => {
      const values = model.trainableWeights[i]?.read().dataSync();
      expect(Array.from(values ?? [])).toEqual(Array.from(flat.subarray(tensor.offset, tensor.offset + tensor.size)));
    });
    flat[0] = 42;
    expect(getFlatWeights(model)[0]).not.toBe(42); // the model holds a copy, not the caller's array
    model.dispose();
  });

  it("builds the same initial weights from the same seed", () => {
    const models = [1, 1, 2].map((seed) => buildModel(MLP, { seed }));
    const [wa, wb, wc] = models.map((model) => getFlatWeights(model));
    expect(wb).toEqual(wa);
    expect(wc).not.toEqual(wa);
    // Glorot uniform: kernel entries within ±√(6/(fanIn+fanOut)), biases zero.
    const limit = Math.sqrt(6 / (784 + 200));
    expect(wa?.subarray(0, 156_800).reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(limit);
    expect(wa?.subarray(156_800, 157_000).every((v) => v === 0)).toBe(true);
    for (const model of models) model.dispose();
  });

  it("throws WeightsLengthError on a vector of the wrong length", () => {
    const model = buildModel(MLP);
    expect(() => setFlatWeights(model, new Float32Array(199_209))).toThrow(WeightsLengthError);
    try {
      setFlatWeights(model, new Float32Array(5));
    } catch (error) {
      expect(error).toMatchObject({ code: "WEIGHTS_LENGTH", details: { expected: 199_210, actual: 5 } });
    }
    model.dispose();
  });

  it("computes what the spec says: conv 'same' + relu + maxPool + flatten + dense softmax, checked in float64", () => {
    const spec: ModelSpecInput = {
      inputShape: [5, 5, 1],
      layers: [
        { type: "conv2d", filters: 2, kernelSize: [3, 3], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dropout", rate: 0.5 },
        { type: "dense", units: 3, activation: "softmax" },
      ],
      loss: "categoricalCrossentropy",
    };
    const model = buildModel(spec);
    const flat = Float32Array.from({ length: parameterCount(model) }, (_, i) => Math.cos(1.7 * i) / 2);
    setFlatWeights(model, flat);
    const input = Float32Array.from({ length: 25 }, (_, i) => ((i * 7) % 11) / 10);
    const got = tf.tidy(() => (model.predict(tf.tensor(input, [1, 5, 5, 1])) as tf.Tensor).dataSync());

    // Reference forward pass. Flat layout: conv kernel [3,3,1,2] (18), bias [2], dense kernel [8,3] (24), bias [3].
    const k = (r: number, c: number, f: number) => flat[(r * 3 + c) * 2 + f] as number;
    const conv: number[][][] = [];
    for (let r = 0; r < 5; r++) {
      conv.push([]);
      for (let c = 0; c < 5; c++) {
        const cell: number[] = [];
        for (let f = 0; f < 2; f++) {
          let sum = flat[18 + f] as number;
          for (let p = 0; p < 3; p++)
            for (let q = 0; q < 3; q++) {
              const rr = r + p - 1;
              const cc = c + q - 1;
              if (rr >= 0 && rr < 5 && cc >= 0 && cc < 5) sum += (input[rr * 5 + cc] as number) * k(p, q, f);
            }
          cell.push(Math.max(0, sum));
        }
        conv[r]?.push(cell);
      }
    }
    const pooled: number[] = [];
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 2; c++)
        for (let f = 0; f < 2; f++) {
          const window = [0, 1].flatMap((p) => [0, 1].map((q) => conv[2 * r + p]?.[2 * c + q]?.[f] ?? Number.NaN));
          pooled.push(Math.max(...window));
        }
    const logits = [0, 1, 2].map((u) =>
      pooled.reduce((s, v, i) => s + v * (flat[20 + i * 3 + u] as number), flat[44 + u] as number),
    );
    const max = Math.max(...logits);
    const exps = logits.map((z) => Math.exp(z - max));
    const total = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, u) => {
      expect(got[u]).toBeCloseTo(e / total, 5);
    });
    model.dispose();
  });
});
