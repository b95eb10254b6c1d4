import * as tf from "@tensorflow/tfjs-core";
import { buildModel, getFlatWeights, initModelBackend } from "@tributary/model-runtime";
import { MLP_784_200_200_10 } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModel, type ServedModel } from "./served-model.js";

let reference: ReturnType<typeof buildModel>;
let served: ServedModel;

beforeAll(async () => {
  await initModelBackend({ prefer: ["wasm"], log: () => {} });
  reference = buildModel(MLP_784_200_200_10, { seed: 3 });
  served = await loadServedModel(MLP_784_200_200_10, getFlatWeights(reference));
});

afterAll(async () => {
  await served?.dispose();
  reference?.dispose();
});

/** `count` examples of 784 values, different for each `seed`. */
function examples(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count * 784 }, (_, index) => Math.sin(seed * 1_000 + index) * 0.5 + 0.5);
}

/** The same model's outputs computed in this thread by tfjs: the reference. */
function expected(input: Float32Array, count: number): Float32Array {
  return tf.tidy(() => (reference.predict(tf.tensor(input, [count, 784])) as tf.Tensor).dataSync() as Float32Array);
}

describe("ServedModel (the model on its own thread)", () => {
  it("answers batches in flight together, each with its own outputs, from shared or copied inputs", async () => {
    const batches = [
      { count: 5, shared: true },
      { count: 64, shared: true },
      { count: 1, shared: false },
      { count: 33, shared: true },
      { count: 64, shared: false },
    ].map(({ count, shared }, seed) => {
      const values = examples(count, seed);
      const input = shared ? served.inputBuffer(values.length) : values;
      if (shared) input.set(values);
      return { count, values, answer: served.predict(input, count) };
    });
    for (const { count, values, answer } of batches)
      expect(Array.from(await answer)).toEqual(Array.from(expected(values, count)));
    // The shared memory is reused by later batches without mixing them up.
    for (let round = 0; round < 3; round++) {
      const values = examples(16, 10 + round);
      const input = served.inputBuffer(values.length);
      input.set(values);
      expect(Array.from(await served.predict(input, 16))).toEqual(Array.from(expected(values, 16)));
    }
  });

  it("counts the CPU time its thread spends", () => {
    expect(served.threadCpuSeconds()).toBeGreaterThan(0);
  });
});
