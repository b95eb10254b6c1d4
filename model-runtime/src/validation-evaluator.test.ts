import * as tf from "@tensorflow/tfjs-core";
import {
  decodeValidationSet,
  encodeValidationSet,
  InvalidInputError,
  type ModelSpecInput,
  type ValidationSet,
} from "@tributary/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { type DenseReferenceLayer, denseReferenceScores } from "../test-support/dense-reference.js";
import { EvaluatorDisposedError, ModelInputError, WeightsLengthError } from "./errors.js";
import { initModelBackend } from "./model-backend.js";
import { createThreadedValidationEvaluator } from "./threaded-validation-evaluator.js";
import { createValidationEvaluator } from "./validation-evaluator.js";

const LAYERS: DenseReferenceLayer[] = [
  { units: 4, activation: "relu" },
  { units: 3, activation: "softmax" },
];
const SPEC: ModelSpecInput = {
  inputShape: [3],
  layers: LAYERS.map((layer) => ({ type: "dense", ...layer })),
  loss: "sparseCategoricalCrossentropy",
};
/** 3·4 + 4 + 4·3 + 3. */
const PARAMETERS = 31;
const COUNT = 10;

/** Ten examples of three features in [-1, 1.2], labels 0, 1, 2, 0, …, as the researcher's uploaded blob decodes. */
const SET: ValidationSet = decodeValidationSet(
  encodeValidationSet({
    featureShape: [3],
    features: Float32Array.from({ length: COUNT * 3 }, (_, k) => ((Math.floor(k / 3) * 7 + (k % 3) * 3) % 11) / 5 - 1),
    labels: Int32Array.from({ length: COUNT }, (_, n) => n % 3),
  }),
);

const weights = (seed: number) => Float32Array.from({ length: PARAMETERS }, (_, i) => Math.sin(seed * i + 1) * 0.8);

beforeAll(async () => {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
});

const FACTORIES = [
  ["createValidationEvaluator (this thread)", createValidationEvaluator],
  ["createThreadedValidationEvaluator (a worker thread)", createThreadedValidationEvaluator],
] as const;

describe.each(FACTORIES)("%s", (_, createValidationEvaluator) => {
  it("gives the float64 reference's mean cross-entropy and accuracy, call after call, in batches", async () => {
    const evaluator = await createValidationEvaluator(SPEC, SET, { batchSize: 4 });
    const seeds = [1, 2, 3, 1];
    const sequential = [];
    for (const seed of seeds) sequential.push(await evaluator.evaluate(weights(seed)));
    // Calls made together run one after another on the shared model: each still gets its own weights' score.
    const concurrent = await Promise.all(seeds.map((seed) => evaluator.evaluate(weights(seed))));
    for (const results of [sequential, concurrent]) {
      results.forEach((result, i) => {
        const reference = denseReferenceScores(weights(seeds[i] as number), LAYERS, SET.features, SET.labels);
        expect(Math.abs(result.loss - reference.loss)).toBeLessThan(1e-5);
        expect(result.accuracy).toBeCloseTo(reference.accuracy, 10);
        expect(result.examples).toBe(COUNT);
      });
    }
    // Different weights give different losses (the model really is rewritten each time).
    expect(new Set(sequential.map((r) => r.loss)).size).toBe(3);
    evaluator.dispose();
  });

  it("scores known weights at the accuracy and loss they must have", async () => {
    // softmax(10·x₀, −10·x₀) predicts class 0 exactly when x₀ > 0; the second feature is ignored.
    const spec: ModelSpecInput = {
      inputShape: [2],
      layers: [{ type: "dense", units: 2, activation: "softmax" }],
      loss: "sparseCategoricalCrossentropy",
    };
    const x0 = [1, 1, 1, 1, 1, 1, -1, -1, -1, -1];
    const set = {
      featureShape: [1, 2], // same number of values as the input [2]: accepted, as in training
      features: Float32Array.from(x0.flatMap((v, n) => [v, n / 10])),
      labels: Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1, 0), // 8 of 10 match the prediction
      count: 10,
    };
    const evaluator = await createValidationEvaluator(spec, set);
    const result = await evaluator.evaluate(Float32Array.of(10, -10, 0, 0, 0, 0));
    expect(result.accuracy).toBe(0.8);
    // Right: p ≈ 1 − 2·10⁻⁹, clipped to 1 − 10⁻⁷ (loss ≈ 0); wrong: p ≈ 2·10⁻⁹, clipped to 10⁻⁷ (loss ln 10⁷).
    expect(result.loss).toBeCloseTo((2 * Math.log(1e7)) / 10, 4);
    evaluator.dispose();
  });

  it("refuses weights of the wrong length, naming both lengths, and keeps working", async () => {
    const evaluator = await createValidationEvaluator(SPEC, SET);
    const wrong = evaluator.evaluate(new Float32Array(PARAMETERS - 1));
    await expect(wrong).rejects.toThrow(WeightsLengthError);
    await expect(wrong).rejects.toMatchObject({ details: { expected: PARAMETERS, actual: PARAMETERS - 1 } });
    const reference = denseReferenceScores(weights(5), LAYERS, SET.features, SET.labels);
    expect((await evaluator.evaluate(weights(5))).loss).toBeCloseTo(reference.loss, 5);
    evaluator.dispose();
  });

  it("refuses a set that does not fit the model, with typed errors naming expected and actual", async () => {
    const four = { featureShape: [4], features: new Float32Array(8), labels: Int32Array.of(0, 1), count: 2 };
    const shape = createValidationEvaluator(SPEC, four);
    await expect(shape).rejects.toThrow(ModelInputError);
    await expect(shape).rejects.toMatchObject({ details: { expected: [3], actual: [4] } });
    await expect(shape).rejects.toThrow(/4 features \(shape \[4\]\) but the model takes 3/);

    const classes = { ...SET, labels: SET.labels.map((label, n) => (n === 4 ? 3 : label)) };
    await expect(createValidationEvaluator(SPEC, classes)).rejects.toThrow(/4 classes but the model has 3 outputs/);
    const negative = { ...SET, labels: SET.labels.map((label, n) => (n === 2 ? -1 : label)) };
    await expect(createValidationEvaluator(SPEC, negative)).rejects.toThrow(/label -1 of example 2 is negative/);
    const short = { ...SET, labels: SET.labels.subarray(1) };
    await expect(createValidationEvaluator(SPEC, short)).rejects.toThrow(ModelInputError);
    await expect(createValidationEvaluator(SPEC, SET, { batchSize: 0 })).rejects.toThrow(InvalidInputError);
  });

  it("finishes the evaluations already asked for, then refuses new ones", async () => {
    const evaluator = await createValidationEvaluator(SPEC, SET, { batchSize: 3 });
    expect(evaluator.parameters).toBe(PARAMETERS);
    const pending = [evaluator.evaluate(weights(7)), evaluator.evaluate(weights(8))];
    evaluator.dispose();
    const scores = await Promise.all(pending);
    scores.forEach((score, i) => {
      const reference = denseReferenceScores(weights(7 + i), LAYERS, SET.features, SET.labels);
      expect(score.loss).toBeCloseTo(reference.loss, 5);
    });
    await expect(evaluator.evaluate(weights(7))).rejects.toThrow(EvaluatorDisposedError);
  });
});

describe("createValidationEvaluator", () => {
  it("frees its model and the set's tensors in this thread once disposed", async () => {
    const tensorsBefore = tf.memory().numTensors;
    const evaluator = await createValidationEvaluator(SPEC, SET, { batchSize: 3 });
    expect(tf.memory().numTensors).toBeGreaterThan(tensorsBefore);
    const pending = evaluator.evaluate(weights(7));
    evaluator.dispose();
    const reference = denseReferenceScores(weights(7), LAYERS, SET.features, SET.labels);
    expect((await pending).loss).toBeCloseTo(reference.loss, 5);
    await expect(evaluator.evaluate(weights(7))).rejects.toThrow(EvaluatorDisposedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe("createThreadedValidationEvaluator", () => {
  /** A 784-256-10 network on 2,000 examples: long enough to score that a held event loop would show. */
  const WIDE: ModelSpecInput = {
    inputShape: [784],
    layers: [
      { type: "dense", units: 256, activation: "relu" },
      { type: "dense", units: 10, activation: "softmax" },
    ],
    loss: "sparseCategoricalCrossentropy",
  };
  const WIDE_PARAMETERS = 784 * 256 + 256 + 256 * 10 + 10;
  const WIDE_SET = {
    featureShape: [784],
    features: Float32Array.from({ length: 2_000 * 784 }, (_, k) => Math.sin(k * 0.37)),
    labels: Int32Array.from({ length: 2_000 }, (_, n) => n % 10),
    count: 2_000,
  };
  const wide = Float32Array.from({ length: WIDE_PARAMETERS }, (_, i) => Math.cos(i * 1.3) * 0.05);

  /** Timer ticks the host's event loop ran while `evaluation` was pending. */
  async function ticksDuring(evaluation: () => Promise<unknown>): Promise<number> {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await evaluation();
    } finally {
      clearInterval(timer);
    }
    return ticks;
  }

  it("keeps the host's event loop turning while it scores, where scoring in this thread holds it", async () => {
    const here = await createValidationEvaluator(WIDE, WIDE_SET);
    const threaded = await createThreadedValidationEvaluator(WIDE, WIDE_SET);
    let hereScore: ValidationScoreLike | undefined;
    let threadedScore: ValidationScoreLike | undefined;
    const heldTicks = await ticksDuring(async () => {
      hereScore = await here.evaluate(wide);
    });
    const freeTicks = await ticksDuring(async () => {
      threadedScore = await threaded.evaluate(wide);
    });
    expect(heldTicks).toBe(0);
    expect(freeTicks).toBeGreaterThan(0);
    // The same model on the same set, whichever thread scored it.
    expect(threadedScore?.loss).toBeCloseTo(hereScore?.loss ?? Number.NaN, 5);
    expect(threadedScore?.accuracy).toBe(hereScore?.accuracy);
    here.dispose();
    threaded.dispose();
  });
});

type ValidationScoreLike = { readonly loss: number; readonly accuracy: number };
