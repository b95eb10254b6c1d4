import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { layoutFromSpec, layoutLength, type ModelSpecInput, ModelSpecSchema } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileModelLoader } from "../test-support/file-model-loader.js";
import { buildModel } from "./build-model.js";
import { WeightsLengthError } from "./errors.js";
import { setFlatWeights } from "./flat-weights.js";
import { LAYERS_MODEL_WEIGHTS_FILE, layersModelFiles } from "./layers-model-files.js";
import { initModelBackend } from "./model-backend.js";

let dir: string;

beforeAll(async () => {
  await initModelBackend({ prefer: ["cpu"], log: () => {} });
  dir = await mkdtemp(path.join(tmpdir(), "tributary-layers-model-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic weights of the model's length (not what any initialiser would draw). */
function weightsFor(spec: ModelSpecInput): Float32Array {
  const length = layoutLength(layoutFromSpec(ModelSpecSchema.parse(spec)));
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 1.7 + 0.3) / 2);
}

async function written(name: string, spec: ModelSpecInput, flat: Float32Array): Promise<string> {
  const files = await layersModelFiles(spec, flat);
  const modelDir = path.join(dir, name);
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, "model.json"), files.modelJson);
  await writeFile(path.join(modelDir, LAYERS_MODEL_WEIGHTS_FILE), files.weights);
  return path.join(modelDir, "model.json");
}

function predict(model: tfl.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array);
}

const MLP: ModelSpecInput = {
  inputShape: [6],
  layers: [
    { type: "dense", units: 5, activation: "relu" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 3,
};

/** The MLP above in float64 from the flat weights (kernel [in, out] row-major, then bias, per layer). */
function mlpReference(flat: Float32Array, x: number[]): number[] {
  let offset = 0;
  const dense = (input: number[], units: number, activation: (v: number[]) => number[]) => {
    const kernel = flat.subarray(offset, offset + input.length * units);
    offset += input.length * units;
    const bias = flat.subarray(offset, offset + units);
    offset += units;
    const out = Array.from({ length: units }, (_, j) =>
      input.reduce((sum, value, i) => sum + value * (kernel[i * units + j] as number), bias[j] as number),
    );
    return activation(out);
  };
  const relu = (v: number[]) => v.map((value) => Math.max(0, value));
  const softmax = (v: number[]) => {
    const max = Math.max(...v);
    const exps = v.map((value) => Math.exp(value - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((value) => value / total);
  };
  return dense(dense(x, 5, relu), 3, softmax);
}

describe("layersModelFiles", () => {
  it("writes an MLP that tf.loadLayersModel opens and that predicts what the flat weights compute in float64", async () => {
    const flat = weightsFor(MLP);
    const file = await written("mlp", MLP, flat);
    const loaded = await tfl.loadLayersModel(fileModelLoader(file));
    const inputs = [
      [0.5, -1, 2, 0, 0.25, -0.75],
      [1, 1, 1, 1, 1, 1],
      [-2, 0.1, 0.3, -0.4, 3, 0],
    ];
    const got = predict(loaded, Float32Array.from(inputs.flat()), [3, 6]);
    for (const [row, x] of inputs.entries()) {
      for (const [k, p] of mlpReference(flat, x).entries()) expect(got[row * 3 + k]).toBeCloseTo(p, 6);
    }
    const json = JSON.parse(await readFile(file, "utf8")) as { format: string; weightsManifest: unknown[] };
    expect(json.format).toBe("layers-model");
    expect((await readFile(path.join(path.dirname(file), LAYERS_MODEL_WEIGHTS_FILE))).byteLength).toBe(flat.length * 4);
    loaded.dispose();
  });

  it("writes a CNN whose predictions match model-runtime's own inference on the same flat weights", async () => {
    const cnn: ModelSpecInput = {
      inputShape: [6, 6, 1],
      layers: [
        { type: "conv2d", filters: 2, kernelSize: [3, 3], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dense", units: 4, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 4,
    };
    const flat = weightsFor(cnn);
    const loaded = await tfl.loadLayersModel(fileModelLoader(await written("cnn", cnn, flat)));
    const reference = buildModel(cnn);
    setFlatWeights(reference, flat);
    const input = Float32Array.from({ length: 2 * 36 }, (_, i) => Math.cos(i) * 0.8);
    const got = predict(loaded, input, [2, 6, 6, 1]);
    const expected = predict(reference, input, [2, 6, 6, 1]);
    expect(got).toHaveLength(8);
    for (const [index, value] of expected.entries()) expect(got[index]).toBeCloseTo(value, 6);
    loaded.dispose();
    reference.dispose();
  });

  it("refuses weights that do not fit the spec", async () => {
    await expect(layersModelFiles(MLP, new Float32Array(7))).rejects.toBeInstanceOf(WeightsLengthError);
  });
});
