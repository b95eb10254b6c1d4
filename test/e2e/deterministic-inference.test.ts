import * as tf from "@tensorflow/tfjs-core";
import { DeterministicModel } from "@tributary/deterministic-inference";
import { buildModel, getFlatWeights, initTrainingBackend, setFlatWeights } from "@tributary/model-runtime";
import {
  FEDAVG_CNN,
  inferModelShapes,
  layoutLength,
  MLP_784_200_200_10,
  type ModelSpec,
  type ModelSpecInput,
  ModelSpecSchema,
  SeededRandom,
} from "@tributary/protocol";
import { type Dataset, loadMnistPackage, subsetDataset, trainLocal } from "@tributary/trainer-agent";
import { beforeAll, describe, expect, it } from "vitest";
import { boundedLogits } from "./helpers/fixed-point-error-bound.js";

// Deterministic (fixed-point) inference against float inference in tfjs (model-runtime, WebAssembly backend) on the
// digits the CLI ships, split as `tributary up` splits them (8,000 training, 2,000 held out): the dequantised logits
// within the error bound derived in helpers/fixed-point-error-bound.ts (through a third, float64, forward pass), and
// held-out accuracy within 0.5 points of the float model's.

let train: Dataset;
let heldOut: Dataset;

beforeAll(async () => {
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
  const all = loadMnistPackage();
  const order = new SeededRandom("tributary-demo-mnist").shuffle(Int32Array.from({ length: all.count }, (_, i) => i));
  train = subsetDataset(all, order.subarray(0, 8000));
  heldOut = subsetDataset(all, order.subarray(8000));
});

/** The same model without its final softmax: tfjs then answers logits, as the fixed-point path does. */
function logitsSpec(spec: ModelSpec): ModelSpec {
  const layers = spec.layers.map((layer, index) =>
    index === spec.layers.length - 1 && layer.type === "dense" ? { ...layer, activation: "linear" as const } : layer,
  );
  return { ...spec, layers };
}

function floatLogits(spec: ModelSpec, weights: Float32Array, inputs: Float32Array, count: number): Float32Array {
  const model = buildModel(logitsSpec(spec));
  setFlatWeights(model, weights);
  const size = inputs.length / count;
  const out: number[] = [];
  for (let start = 0; start < count; start += 250) {
    const n = Math.min(250, count - start);
    const batch = tf.tidy(() => {
      const x = tf.tensor(inputs.subarray(start * size, (start + n) * size), [n, ...spec.inputShape]);
      return (model.predict(x) as tf.Tensor).dataSync();
    });
    out.push(...batch);
  }
  model.dispose();
  return Float32Array.from(out);
}

function argmax(values: ArrayLike<number>, from: number, size: number): number {
  let best = 0;
  for (let j = 1; j < size; j++) if ((values[from + j] as number) > (values[from + best] as number)) best = j;
  return best;
}

interface Comparison {
  readonly floatAccuracy: number;
  readonly fixedAccuracy: number;
  /** Examples whose two best float logits are further apart than twice the bound: their class is proven equal. */
  readonly provenShare: number;
  readonly largestError: number;
  readonly largestBound: number;
}

/**
 * Float and fixed-point logits of `count` examples of `data` (features scaled to [0, 1]); the first `bounded` checked
 * logit by logit against the derived bound.
 */
function compare(spec: ModelSpec, weights: Float32Array, data: Dataset, count: number, bounded: number): Comparison {
  const size = data.features.length / data.count;
  const inputs = Float32Array.from(data.features.subarray(0, count * size), (v) => v * data.featureScale);
  const floats = floatLogits(spec, weights, inputs, count);
  const model = DeterministicModel.fromFloat(spec, weights);
  const fixed = model.dequantise(model.infer(inputs).logits);
  const classes = model.outputSize;
  let floatCorrect = 0;
  let fixedCorrect = 0;
  for (let e = 0; e < count; e++) {
    if (argmax(floats, e * classes, classes) === data.labels[e]) floatCorrect++;
    if (argmax(fixed, e * classes, classes) === data.labels[e]) fixedCorrect++;
  }
  let proven = 0;
  let largestError = 0;
  let largestBound = 0;
  for (let e = 0; e < bounded; e++) {
    const bound = boundedLogits(spec, weights, model.model, inputs.subarray(e * size, (e + 1) * size));
    let widest = 0;
    for (let j = 0; j < classes; j++) {
      const exact = bound.logits[j] as number;
      const fixedLogit = fixed[e * classes + j] as number;
      const floatLogit = floats[e * classes + j] as number;
      const epsilon = (bound.fixedPoint[j] as number) + 1e-9;
      const eta = (bound.float32[j] as number) + 1e-9;
      expect(Math.abs(fixedLogit - exact)).toBeLessThanOrEqual(epsilon);
      expect(Math.abs(floatLogit - exact)).toBeLessThanOrEqual(eta);
      expect(Math.abs(fixedLogit - floatLogit)).toBeLessThanOrEqual(epsilon + eta);
      largestError = Math.max(largestError, Math.abs(fixedLogit - floatLogit));
      widest = Math.max(widest, epsilon + eta);
    }
    largestBound = Math.max(largestBound, widest);
    const sorted = Array.from(floats.subarray(e * classes, (e + 1) * classes)).sort((a, b) => b - a);
    if ((sorted[0] as number) - (sorted[1] as number) > 2 * widest) proven++;
  }
  return {
    floatAccuracy: floatCorrect / count,
    fixedAccuracy: fixedCorrect / count,
    provenShare: bounded === 0 ? 1 : proven / bounded,
    largestError,
    largestBound,
  };
}

async function trained(spec: ModelSpecInput, examples: number, epochs: number): Promise<Float32Array> {
  const model = buildModel(spec, { seed: 7 });
  await trainLocal({
    model,
    dataset: subsetDataset(
      train,
      Int32Array.from({ length: examples }, (_, i) => i),
    ),
    epochs,
    batchSize: 32,
    learningRate: 0.1,
    seed: 7,
  });
  const weights = getFlatWeights(model);
  model.dispose();
  return weights;
}

function report(name: string, result: Comparison) {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  console.log(
    `      ${name}: float ${pct(result.floatAccuracy)}, fixed point ${pct(result.fixedAccuracy)}; largest |fixed − float| ${result.largestError.toExponential(2)} ≤ bound ${result.largestBound.toExponential(2)}; class proven equal by the bound for ${pct(result.provenShare)}`,
  );
}

/** The FedAvg CNN's layers with fewer filters and units, so it trains in seconds here. */
const SMALL_CNN: ModelSpecInput = {
  inputShape: [28, 28, 1],
  layers: [
    { type: "conv2d", filters: 8, kernelSize: [5, 5], padding: "same", activation: "relu" },
    { type: "maxPool2d", poolSize: [2, 2] },
    { type: "conv2d", filters: 16, kernelSize: [5, 5], padding: "same", activation: "relu" },
    { type: "maxPool2d", poolSize: [2, 2] },
    { type: "flatten" },
    { type: "dense", units: 64, activation: "relu" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
};

// Each test trains a model first (the CNN about 25 s on an idle core): generous bounds for a shared CI machine.
describe("fixed-point inference against float inference on held-out digits", { timeout: 300_000 }, () => {
  it("MLP 784-200-200-10 trained on 8,000 digits: accuracy within 0.5 points on 2,000, every logit within its bound", async () => {
    const weights = await trained(MLP_784_200_200_10, 8000, 2);
    const result = compare(MLP_784_200_200_10, weights, heldOut, 2000, 2000);
    report("MLP", result);
    expect(result.floatAccuracy).toBeGreaterThan(0.88);
    expect(Math.abs(result.fixedAccuracy - result.floatAccuracy)).toBeLessThanOrEqual(0.005);
    // The bound is a worst case (every rounding error adding up), yet for most examples it alone proves the class:
    // it is not vacuous. (Runs here: 91% of the MLP's examples, 93% of the small CNN's.)
    expect(result.provenShare).toBeGreaterThan(0.8);
  });

  it("a small CNN of the FedAvg CNN's layers trained on 8,000 digits: the same on 2,000", async () => {
    const spec = ModelSpecSchema.parse(SMALL_CNN);
    const weights = await trained(spec, 8000, 1);
    const result = compare(spec, weights, heldOut, 2000, 2000);
    report("small CNN", result);
    expect(result.floatAccuracy).toBeGreaterThan(0.88);
    expect(Math.abs(result.fixedAccuracy - result.floatAccuracy)).toBeLessThanOrEqual(0.005);
    expect(result.provenShare).toBeGreaterThan(0.8);
  });

  it("the FedAvg CNN itself trained on 2,000 digits: accuracy within 0.5 points on 500, bounds on 40", async () => {
    const weights = await trained(FEDAVG_CNN, 2000, 1);
    const result = compare(FEDAVG_CNN, weights, heldOut, 500, 40);
    report("FedAvg CNN", result);
    expect(result.floatAccuracy).toBeGreaterThan(0.75);
    expect(Math.abs(result.fixedAccuracy - result.floatAccuracy)).toBeLessThanOrEqual(0.005);
  });
});

describe("window semantics against tfjs", () => {
  it("strided same convolution with padding only after, same max-pooling, strided valid convolution, negative inputs", () => {
    // 8×8 with a 3×3 kernel at stride 2: ⌈8/2⌉ = 4 outputs, total padding 3·2 + 3 − 8 = 1, all of it after.
    const spec = ModelSpecSchema.parse({
      inputShape: [8, 8, 2],
      layers: [
        { type: "conv2d", filters: 4, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [3, 3], strides: [1, 1], padding: "same" },
        { type: "conv2d", filters: 3, kernelSize: [2, 2], strides: [1, 2] },
        { type: "activation", activation: "relu" },
        { type: "flatten" },
        { type: "dense", units: 4, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
    });
    const random = new SeededRandom("windows");
    const length = layoutLength(inferModelShapes(spec).layout);
    const weights = Float32Array.from({ length }, () => random.nextFloat() - 0.5);
    const count = 20;
    const features = Float32Array.from({ length: count * 128 }, () => random.nextFloat() * 4 - 2);
    const data: Dataset = {
      features,
      labels: new Int32Array(count),
      featureShape: [8, 8, 2],
      numClasses: 4,
      count,
      featureScale: 1,
    };
    const result = compare(spec, weights, data, count, count);
    report("windows", result);
  });
});
