import * as tf from "@tensorflow/tfjs-core";
import {
  buildModel,
  evaluate,
  getFlatWeights,
  initTrainingBackend,
  parameterCount,
  setFlatWeights,
} from "@tributary/model-runtime";
import { FEDAVG_CNN, type ModelSpecInput } from "@tributary/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { mnistPackageDigits } from "../test-support/mnist-package.js";
import type { Dataset } from "./dataset.js";
import { averageMicrobatchGradients, type MicrobatchGradients } from "./gradient-transform.js";
import { trainLocal } from "./train-local.js";

function mnistSlice(start: number, count: number): Dataset {
  const digits = mnistPackageDigits();
  return {
    features: Float32Array.from(digits.images.subarray(start * 784, (start + count) * 784)),
    labels: Int32Array.from(digits.labels.subarray(start, start + count)),
    featureShape: [28, 28],
    numClasses: 10,
    count,
    featureScale: 1 / 255,
  };
}

const MLP: ModelSpecInput = {
  inputShape: [784],
  layers: [
    { type: "dense", units: 200, activation: "relu" },
    { type: "dense", units: 200, activation: "relu" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
};

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(sum);
}

beforeAll(async () => {
  await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
});

describe("trainLocal on real MNIST digits", () => {
  it("one epoch of the MLP 784-200-200-10 on 3,000 digits reaches > 70% on 1,000 held-out digits", async () => {
    // Chance is 10% (the most frequent digit is ~11% of this set). One epoch on full MNIST reaches ~95%; with
    // 3,000 digits (94 SGD steps at lr 0.1) runs over seeds 1–3 gave 79–83%. 70% is clearly learned, with margin
    // for backend rounding; the seeds make the run repeatable.
    const train = mnistSlice(0, 3000);
    const test = mnistSlice(5000, 1000);
    const model = buildModel(MLP, { seed: 1 });
    const before = evaluate(model, test);
    const result = await trainLocal({ model, dataset: train, epochs: 1, batchSize: 32, learningRate: 0.1, seed: 1 });
    const after = evaluate(model, test);
    expect(result.numExamples).toBe(3000);
    expect(result.steps).toBe(Math.ceil(3000 / 32));
    expect(result.weights).toEqual(getFlatWeights(model));
    expect(after.accuracy).toBeGreaterThan(0.7);
    expect(after.loss).toBeLessThan(before.loss);
    expect(result.metrics.accuracy).toBeGreaterThan(0.5); // averaged over the epoch, including the first steps
    model.dispose();
  });

  it("a small CNN trains on wasm", async () => {
    const model = buildModel({
      inputShape: [28, 28, 1],
      layers: [
        { type: "conv2d", filters: 8, kernelSize: [5, 5], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dense", units: 10, activation: "softmax" },
      ],
      loss: "categoricalCrossentropy",
      numClasses: 10,
    });
    const train = mnistSlice(0, 600);
    const test = mnistSlice(3000, 500);
    await trainLocal({ model, dataset: train, epochs: 2, batchSize: 32, learningRate: 0.1, seed: 2 });
    // Chance is 10%; 38 steps of this CNN reliably pass 50%.
    expect(evaluate(model, test).accuracy).toBeGreaterThan(0.5);
    model.dispose();
  });
});

describe("FedProx proximal term", () => {
  // A linear model y = xW (3 → 2, no bias) with mean squared error on one-hot targets: the gradient has the
  // closed form ∇W = (2/(n·2))·Xᵀ(XW − T), and FedProx adds μ(W − W_global).
  const spec: ModelSpecInput = {
    inputShape: [3],
    layers: [{ type: "dense", units: 2, useBias: false }],
    loss: "meanSquaredError",
    numClasses: 2,
  };
  const X = [
    [1, 0.5, -1],
    [0.2, -0.3, 0.8],
    [-1, 1, 0.5],
    [0.7, 0.1, 0.1],
    [0.3, -0.9, -0.4],
    [-0.5, 0.4, 1],
  ];
  const y = [0, 1, 1, 0, 1, 0];
  const dataset: Dataset = {
    features: Float32Array.from(X.flat()),
    labels: Int32Array.from(y),
    featureShape: [3],
    numClasses: 2,
    count: X.length,
    featureScale: 1,
  };
  const start = Float32Array.from([0.3, -0.2, 0.1, 0.4, -0.5, 0.2]); // W[3][2], row-major
  const lr = 0.05;
  const steps = 20;

  function reference(mu: number, count = steps): Float64Array {
    const w = Float64Array.from(start);
    for (let s = 0; s < count; s++) {
      const grad = new Float64Array(6);
      X.forEach((x, n) => {
        for (let u = 0; u < 2; u++) {
          const residual =
            (x[0] as number) * (w[u] as number) +
            (x[1] as number) * (w[2 + u] as number) +
            (x[2] as number) * (w[4 + u] as number) -
            (y[n] === u ? 1 : 0);
          for (let i = 0; i < 3; i++)
            grad[i * 2 + u] = (grad[i * 2 + u] as number) + (2 / (X.length * 2)) * (x[i] as number) * residual;
        }
      });
      for (let i = 0; i < 6; i++)
        w[i] = (w[i] as number) - lr * ((grad[i] as number) + mu * ((w[i] as number) - (start[i] as number)));
    }
    return w;
  }

  /** Full-batch SGD (the shuffle order cannot matter) from `start`, `steps` epochs unless `maxSteps` stops it. */
  async function train(mu: number, maxSteps?: number) {
    const model = buildModel(spec);
    setFlatWeights(model, start);
    const result = await trainLocal({
      model,
      dataset,
      epochs: steps,
      batchSize: X.length,
      learningRate: lr,
      proximalMu: mu,
      globalWeights: start,
      maxSteps,
    });
    model.dispose();
    return result;
  }

  it("matches the closed-form SGD iterates with and without μ", async () => {
    for (const mu of [0, 2]) {
      const got = (await train(mu)).weights;
      const expected = reference(mu);
      got.forEach((value, i) => {
        expect(Math.abs(value - (expected[i] as number))).toBeLessThan(1e-5);
      });
    }
  });

  it("maxSteps stops the epochs after that many steps: 20 full-batch epochs capped at 7 give the 7th iterate", async () => {
    const result = await train(0, 7);
    expect(result.steps).toBe(7);
    expect(result.numExamples).toBe(X.length);
    const expected = reference(0, 7);
    result.weights.forEach((value, i) => {
      expect(Math.abs(value - (expected[i] as number))).toBeLessThan(1e-5);
    });
  });

  it("maxSteps within the first epoch: 2 batches of 2 read 4 of the 6 records", async () => {
    const model = buildModel(spec);
    setFlatWeights(model, start);
    const result = await trainLocal({ model, dataset, epochs: 3, batchSize: 2, learningRate: lr, maxSteps: 2 });
    model.dispose();
    expect(result.steps).toBe(2);
    expect(result.numExamples).toBe(4);
    expect(Number.isFinite(result.metrics.loss)).toBe(true);
  });

  it("pulls the weights toward the global model: with μ > 0 the distance to w_global is smaller", async () => {
    const tensorsBefore = tf.memory().numTensors;
    const free = (await train(0)).weights;
    const proximal = (await train(2)).weights;
    expect(tf.memory().numTensors).toBe(tensorsBefore); // training leaks no tensor
    expect(distance(proximal, start)).toBeLessThan(distance(free, start));
    expect(distance(proximal, start)).toBeLessThan(0.8 * distance(free, start));
  });
});

describe("gradient transform hook (for DP-SGD)", () => {
  const spec: ModelSpecInput = {
    inputShape: [784],
    layers: [
      { type: "dense", units: 16, activation: "relu" },
      { type: "dense", units: 10, activation: "softmax" },
    ],
    loss: "sparseCategoricalCrossentropy",
    numClasses: 10,
  };
  const data = mnistSlice(0, 40);

  it("per-example gradients, averaged, give the same training as whole-batch gradients", async () => {
    const a = buildModel(spec);
    const b = buildModel(spec);
    setFlatWeights(b, getFlatWeights(a));
    const calls: MicrobatchGradients[] = [];
    const batched = await trainLocal({ model: a, dataset: data, epochs: 1, batchSize: 16, learningRate: 0.1, seed: 5 });
    const perExample = await trainLocal({
      model: b,
      dataset: data,
      epochs: 1,
      batchSize: 16,
      learningRate: 0.1,
      seed: 5,
      gradientTransform: (batch) => {
        calls.push({ ...batch, gradients: [] });
        expect(batch.gradients).toHaveLength(batch.sizes.length);
        expect(batch.gradients.every((g) => g.length === parameterCount(b))).toBe(true);
        return averageMicrobatchGradients(batch);
      },
    });
    expect(calls.map((c) => c.sizes)).toEqual([Array(16).fill(1), Array(16).fill(1), Array(8).fill(1)]);
    expect(calls.map((c) => c.step)).toEqual([0, 1, 2]);
    // Same data, order and starting point: the two differ only by float32 summation order.
    const scale = Math.max(...batched.weights.map(Math.abs));
    batched.weights.forEach((value, i) => {
      expect(Math.abs((perExample.weights[i] as number) - value)).toBeLessThan(1e-5 * scale);
    });
    expect(perExample.metrics.loss).toBeCloseTo(batched.metrics.loss, 4);
    a.dispose();
    b.dispose();
  });

  it("applies what the transform returns, microbatch by microbatch", async () => {
    const tensorsBefore = tf.memory().numTensors;
    const model = buildModel(spec);
    const start = getFlatWeights(model);
    const sizes: number[][] = [];
    await trainLocal({
      model,
      dataset: data,
      epochs: 1,
      batchSize: 20,
      learningRate: 0.5,
      microbatchSize: 8,
      gradientTransform: async (batch) => {
        sizes.push([...batch.sizes]);
        const step = new Float32Array(batch.gradients[0]?.length ?? 0);
        step[3] = 1; // a fake gradient: only parameter 3 moves, by −lr per step
        return step;
      },
    });
    expect(sizes).toEqual([
      [8, 8, 4],
      [8, 8, 4],
    ]);
    const end = getFlatWeights(model);
    end.forEach((value, i) => {
      expect(value).toBeCloseTo((start[i] as number) - (i === 3 ? 2 * 0.5 : 0), 6);
    });
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe("the WebAssembly training kernels against tfjs (the reference path)", () => {
  /** Largest |a − b| relative to the largest |b − start| (how far the reference moved the weights). */
  function relativeGap(a: Float32Array, b: Float32Array, start: Float32Array): number {
    let gap = 0;
    let moved = 0;
    b.forEach((value, i) => {
      gap = Math.max(gap, Math.abs((a[i] as number) - value));
      moved = Math.max(moved, Math.abs(value - (start[i] as number)));
    });
    return gap / moved;
  }

  async function both(
    spec: ModelSpecInput,
    options: { count: number; batchSize: number; proximalMu?: number; threads?: number },
  ) {
    const data = mnistSlice(100, options.count);
    const reference = buildModel(spec, { seed: 4 });
    const kernels = buildModel(spec, { seed: 4 });
    const start = getFlatWeights(reference);
    const common = { dataset: data, epochs: 1, batchSize: options.batchSize, learningRate: 0.1, seed: 9 };
    const mu = options.proximalMu === undefined ? {} : { proximalMu: options.proximalMu };
    const want = await trainLocal({ model: reference, ...common, ...mu, kernels: "tfjs" });
    const got = await trainLocal({ model: kernels, ...common, ...mu, threads: options.threads ?? 1 });
    reference.dispose();
    kernels.dispose();
    return { want, got, start };
  }

  it("one SGD step of the FedAvg CNN (batch 32) matches tfjs's", async () => {
    const { want, got, start } = await both(FEDAVG_CNN, { count: 32, batchSize: 32 });
    expect(want.engine).toEqual({ kind: "tfjs", why: "asked for tfjs" });
    expect(got.engine).toEqual({ kind: "wasm-kernels", threads: 1 });
    expect(got.steps).toBe(1);
    // float32 sums in another order: the step agrees to ~1e-6 of its size (measured ~1e-7).
    expect(relativeGap(got.weights, want.weights, start)).toBeLessThan(1e-4);
    expect(got.metrics.loss).toBeCloseTo(want.metrics.loss, 5);
    expect(got.metrics.accuracy).toBe(want.metrics.accuracy);
  });

  it("two threads, each with half of every batch, train as one thread does (a last batch of 7 included)", async () => {
    const spec: ModelSpecInput = {
      inputShape: [28, 28, 1],
      layers: [
        { type: "conv2d", filters: 8, kernelSize: [5, 5], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "conv2d", filters: 16, kernelSize: [3, 3], padding: "same", activation: "relu" },
        { type: "maxPool2d", poolSize: [2, 2] },
        { type: "flatten" },
        { type: "dense", units: 10, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 10,
    };
    const { want, got, start } = await both(spec, { count: 71, batchSize: 16, threads: 2 });
    expect(got.engine).toEqual({ kind: "wasm-kernels", threads: 2 });
    expect(got.steps).toBe(5);
    expect(relativeGap(got.weights, want.weights, start)).toBeLessThan(1e-4);
    expect(got.metrics.loss).toBeCloseTo(want.metrics.loss, 4);
  });

  it("a spec the kernels do not cover trains on tfjs, which says why", async () => {
    const model = buildModel({
      inputShape: [784],
      layers: [
        { type: "dense", units: 16, activation: "relu" },
        { type: "dropout", rate: 0.1 },
        { type: "dense", units: 10, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 10,
    });
    const result = await trainLocal({ model, dataset: mnistSlice(0, 32), epochs: 1, batchSize: 16, learningRate: 0.1 });
    expect(result.engine).toEqual({ kind: "tfjs", why: "layer 1: dropout" });
    model.dispose();
  });

  it("the FedProx term on the kernels matches tfjs's", async () => {
    const spec: ModelSpecInput = {
      inputShape: [784],
      layers: [
        { type: "dense", units: 32, activation: "relu" },
        { type: "dense", units: 10, activation: "softmax" },
      ],
      loss: "sparseCategoricalCrossentropy",
      numClasses: 10,
    };
    const { want, got, start } = await both(spec, { count: 64, batchSize: 16, proximalMu: 3 });
    expect(got.engine.kind).toBe("wasm-kernels");
    expect(relativeGap(got.weights, want.weights, start)).toBeLessThan(1e-4);
  });
});
