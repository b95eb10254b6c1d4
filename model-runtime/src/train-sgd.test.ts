import { beforeAll, describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { ModelInputError } from "./errors.js";
import { setFlatWeights } from "./flat-weights.js";
import type { LabelledExamples } from "./labelled-examples.js";
import { initModelBackend } from "./model-backend.js";
import { trainSgd } from "./train-sgd.js";

// y = w·x + b through one linear unit, mean squared error: a batch's gradient is (2/n)·Σ (w·x_i + b − y_i)·(x_i, 1).
const SPEC = { inputShape: [3], layers: [{ type: "dense" as const, units: 1 }], loss: "meanSquaredError" as const };
const X = [
  [1, 0, 2],
  [0, 1, -1],
  [2, 1, 0],
  [-1, 3, 1],
];
const Y = [1, 0, 2, 1];
const EXAMPLES: LabelledExamples = {
  features: Float32Array.from(X.flat()),
  labels: Int32Array.from(Y),
  featureShape: [3],
  numClasses: 3,
  count: 4,
  featureScale: 1,
};

/** Full-batch gradient descent in float64: the steps minibatch SGD takes when one batch holds every example. */
function fullBatchSteps(start: readonly number[], learningRate: number, steps: number): number[] {
  let theta = [...start];
  for (let step = 0; step < steps; step++) {
    const gradient = [0, 0, 0, 0];
    X.forEach((x, i) => {
      const residual =
        x.reduce((sum, value, j) => sum + value * (theta[j] as number), theta[3] as number) - (Y[i] as number);
      for (let j = 0; j < 3; j++) gradient[j] = (gradient[j] as number) + (2 / X.length) * residual * (x[j] as number);
      gradient[3] = (gradient[3] as number) + (2 / X.length) * residual;
    });
    theta = theta.map((value, j) => value - learningRate * (gradient[j] as number));
  }
  return theta;
}

beforeAll(async () => {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
});

describe("trainSgd", () => {
  it("takes the closed-form gradient steps of the mean loss, step after step", async () => {
    const start = [0.5, -0.25, 0.125, 0.1];
    const model = buildModel(SPEC);
    setFlatWeights(model, Float32Array.from(start));
    const trained = await trainSgd(model, EXAMPLES, { steps: 3, batchSize: 8, learningRate: 0.05, seed: "s" });
    const expected = fullBatchSteps(start, 0.05, 3);
    for (const [j, value] of trained.entries()) expect(value).toBeCloseTo(expected[j] as number, 5);
    model.dispose();
  });

  it("refuses a learning rate that is not positive and an empty set", async () => {
    const model = buildModel(SPEC);
    const options = { steps: 1, batchSize: 2, learningRate: 0, seed: "s" };
    await expect(trainSgd(model, EXAMPLES, options)).rejects.toThrow(ModelInputError);
    await expect(trainSgd(model, { ...EXAMPLES, count: 0 }, { ...options, learningRate: 0.1 })).rejects.toThrow(
      /at least one example/,
    );
    await expect(trainSgd(model, EXAMPLES, { ...options, steps: 0, learningRate: 0.1 })).rejects.toThrow(/steps/);
    model.dispose();
  });
});
