import { beforeAll, describe, expect, it } from "vitest";
import { type DenseReferenceLayer, denseReferenceScores } from "../test-support/dense-reference.js";
import { buildModel } from "./build-model.js";
import { ModelInputError } from "./errors.js";
import { evaluate } from "./evaluate.js";
import { setFlatWeights } from "./flat-weights.js";
import { initModelBackend } from "./model-backend.js";

const LAYERS: DenseReferenceLayer[] = [
  { units: 5, activation: "relu" },
  { units: 4, activation: "softmax" },
];

beforeAll(async () => {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
});

describe("evaluate", () => {
  it("gives the float64 reference's mean cross-entropy and accuracy, applying the feature scale", () => {
    const model = buildModel({
      inputShape: [2, 3],
      layers: [{ type: "flatten" }, ...LAYERS.map((layer) => ({ type: "dense" as const, ...layer }))],
      loss: "sparseCategoricalCrossentropy",
    });
    const flat = Float32Array.from({ length: 6 * 5 + 5 + 5 * 4 + 4 }, (_, i) => Math.cos(0.9 * i) * 0.7);
    setFlatWeights(model, flat);
    const count = 23;
    // Stored as 0–255 "pixels", scaled by 1/255 on the way in, as 8-bit image datasets are.
    const features = Float32Array.from({ length: count * 6 }, (_, k) => (k * 37) % 256);
    const labels = Int32Array.from({ length: count }, (_, n) => (n * 5) % 4);
    const examples = { features, labels, featureShape: [6], numClasses: 4, count, featureScale: 1 / 255 };
    const result = evaluate(model, examples, 5);
    const reference = denseReferenceScores(flat, LAYERS, features, labels, 1 / 255);
    expect(Math.abs(result.loss - reference.loss)).toBeLessThan(1e-5);
    expect(result.accuracy).toBeCloseTo(reference.accuracy, 10);
    expect(result.numExamples).toBe(count);
    expect(() => evaluate(model, { ...examples, count: 0 })).toThrow(ModelInputError);
    model.dispose();
  });
});
