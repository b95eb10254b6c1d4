import {
  FEDAVG_CNN,
  inferModelShapes,
  layoutLength,
  MLP_784_200_200_10,
  type ModelSpecInput,
  ModelSpecSchema,
  SeededRandom,
} from "@tributary/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { referenceInference } from "../test-support/bigint-reference.js";
import { DeterministicModel } from "./deterministic-model.js";
import { encodeQuantisedModel } from "./model-bytes.js";

// The package's hashes and logits against a second implementation written independently (BigInt arithmetic, exact
// rounding from the float bits, bytes written with Buffer and hashed with node:crypto: test-support/bigint-reference).

function weightsFor(spec: ModelSpecInput, seed: string, scale = 0.3): Float32Array {
  const random = new SeededRandom(seed);
  const length = layoutLength(inferModelShapes(ModelSpecSchema.parse(spec)).layout);
  return Float32Array.from({ length }, () => (random.nextFloat() * 2 - 1) * scale);
}

/** Inputs in [lo, hi) with a third exact zeros and some exact ties (k + 1/2) · 2^-12. */
function inputsFor(size: number, seed: string, lo = 0, hi = 1): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: size }, (_, i) => {
    if (i % 3 === 0) return 0;
    if (i % 7 === 0) return (random.nextInt(4096) + 0.5) / 4096;
    return lo + random.nextFloat() * (hi - lo);
  });
}

function expectSameAsReference(spec: ModelSpecInput, weights: Float32Array, examples: Float32Array, bits = 12) {
  const model = DeterministicModel.fromFloat(spec, weights, { activationFractionBits: bits });
  const answer = model.infer(examples);
  const reference = referenceInference(spec, weights, examples, bits);
  expect(model.modelHash).toBe(reference.modelHash);
  expect(Array.from(answer.inputs, BigInt)).toEqual(reference.inputs);
  expect(answer.requestHash).toBe(reference.requestHash);
  expect(Array.from(answer.logits, BigInt)).toEqual(reference.logits);
  expect(answer.responseHash).toBe(reference.responseHash);
  // The model rebuilt from its canonical bytes answers with the same hashes.
  const decoded = DeterministicModel.fromBytes(encodeQuantisedModel(model.model));
  expect(decoded.modelHash).toBe(reference.modelHash);
  expect(decoded.infer(examples).responseHash).toBe(reference.responseHash);
  return answer;
}

/** Every layer type and option at once: same and valid windows, strides, a dense layer over a rank-3 input. */
const KITCHEN_SINK: ModelSpecInput = {
  inputShape: [9, 9, 2],
  layers: [
    { type: "conv2d", filters: 4, kernelSize: [3, 3], padding: "same", activation: "relu" },
    { type: "maxPool2d", poolSize: [2, 2], strides: [2, 2], padding: "same" },
    { type: "conv2d", filters: 3, kernelSize: [2, 2], strides: [1, 2], useBias: false },
    { type: "activation", activation: "relu" },
    { type: "dropout", rate: 0.25 },
    { type: "dense", units: 5, activation: "relu" },
    { type: "maxPool2d", poolSize: [3, 1], strides: [2, 1] },
    { type: "flatten" },
    { type: "dense", units: 4, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 4,
};

describe("the response hash equals an independent BigInt implementation's", () => {
  it("for the MLP 784-200-200-10 on three digits-like inputs", () => {
    expectSameAsReference(MLP_784_200_200_10, weightsFor(MLP_784_200_200_10, "mlp", 0.1), inputsFor(3 * 784, "x"));
  });

  it("for a CNN with every supported layer and window option, on negative and positive inputs", () => {
    const answer = expectSameAsReference(
      KITCHEN_SINK,
      weightsFor(KITCHEN_SINK, "sink", 0.8),
      inputsFor(4 * 162, "y", -3, 3),
    );
    expect(new Set(answer.logits).size).toBeGreaterThan(4);
  });

  it("for the FedAvg CNN (McMahan et al.) on one digit-sized input", () => {
    expectSameAsReference(FEDAVG_CNN, weightsFor(FEDAVG_CNN, "cnn", 0.05), inputsFor(784, "z"));
  });

  it("at the edges of the format: F_A 0 and 16, saturation, tiny and zero kernels, large biases, no bias", () => {
    const small: ModelSpecInput = {
      inputShape: [6],
      layers: [
        { type: "dense", units: 5, activation: "relu" },
        { type: "dense", units: 4, useBias: false },
        { type: "dense", units: 3 },
      ],
      loss: "meanSquaredError",
    };
    const base = weightsFor(small, "edges", 1);
    for (const bits of [0, 5, 16]) expectSameAsReference(small, base, inputsFor(12, "e", -4, 4), bits);
    // Weights ×1000 and inputs up to ±5,000: activations saturate at ±(2^23 − 1).
    const saturated = expectSameAsReference(
      small,
      base.map((w) => w * 1000),
      inputsFor(12, "s", -5000, 5000),
    );
    expect(saturated.logits.some((v) => Math.abs(v) === 2 ** 23 - 1)).toBe(true);
    // Tiny weights (F_W = 30), an all-zero layer, biases of ±1e6 (F_W limited by the bias).
    expectSameAsReference(
      small,
      base.map((w) => w * 1e-7),
      inputsFor(12, "t"),
    );
    expectSameAsReference(
      small,
      base.map((w, i) => (i < 30 ? 0 : w)),
      inputsFor(12, "u"),
    );
    expectSameAsReference(
      small,
      base.map((w, i) => (i >= 30 && i < 35 ? w * 1e6 : w)),
      inputsFor(12, "v"),
    );
  });

  it("for random small models (fast-check)", () => {
    const layer = fc.oneof(
      fc.record({
        type: fc.constant("conv2d" as const),
        filters: fc.integer({ min: 1, max: 4 }),
        kernelSize: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
        padding: fc.constantFrom("valid" as const, "same" as const),
        activation: fc.constantFrom("relu" as const, "linear" as const),
        useBias: fc.boolean(),
      }),
      fc.record({
        type: fc.constant("maxPool2d" as const),
        poolSize: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        padding: fc.constantFrom("valid" as const, "same" as const),
      }),
      fc.constant({ type: "activation" as const, activation: "relu" as const }),
    );
    const scenario = fc.record({
      shape: fc.tuple(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 }), fc.integer({ min: 1, max: 3 })),
      layers: fc.array(layer, { minLength: 1, maxLength: 4 }),
      units: fc.integer({ min: 1, max: 6 }),
      classes: fc.integer({ min: 1, max: 4 }),
      weightScale: fc.integer({ min: -12, max: 6 }),
      inputScale: fc.integer({ min: -4, max: 8 }),
      seed: fc.integer(),
    });
    let ran = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const spec: ModelSpecInput = {
          inputShape: s.shape,
          layers: [
            ...s.layers,
            { type: "flatten" },
            { type: "dense", units: s.units, activation: "relu" },
            { type: "dense", units: s.classes, activation: "softmax" },
          ],
          loss: "sparseCategoricalCrossentropy",
        };
        try {
          inferModelShapes(ModelSpecSchema.parse(spec));
        } catch {
          return; // a window larger than its input: not a model
        }
        ran++;
        const weights = weightsFor(spec, `w${s.seed}`, 2 ** s.weightScale);
        const size = s.shape[0] * s.shape[1] * s.shape[2];
        expectSameAsReference(
          spec,
          weights,
          inputsFor(2 * size, `i${s.seed}`, -(2 ** s.inputScale), 2 ** s.inputScale),
        );
      }),
      { numRuns: 60 },
    );
    expect(ran).toBeGreaterThan(20);
  });
});
