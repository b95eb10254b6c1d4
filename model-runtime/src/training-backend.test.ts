import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError } from "./errors.js";
import { initTrainingBackend } from "./training-backend.js";

describe("initTrainingBackend", () => {
  it("chooses like the model runtime, says 'training backend', and adds the training kernels on wasm", async () => {
    const lines: string[] = [];
    const info = await initTrainingBackend({ prefer: ["wasm"], log: (line) => lines.push(line) });
    expect(info).toMatchObject({ name: "wasm", tfjsBackend: "wasm", simd: true, threads: 1 });
    expect(lines).toEqual(["training backend: wasm simd, threads 1"]);
    // tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter: without ours a CNN cannot train.
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });

  it("honours an explicit preference and says when nothing is usable", async () => {
    const info = await initTrainingBackend({ prefer: ["cpu"], log: () => {} });
    expect(info).toMatchObject({ name: "cpu", tfjsBackend: "cpu", simd: false, skipped: [] });
    await expect(initTrainingBackend({ prefer: [], log: () => {} })).rejects.toThrow(BackendUnavailableError);
    await initTrainingBackend({ prefer: ["wasm"], log: () => {} });
    expect(tf.getBackend()).toBe("wasm");
  });
});
