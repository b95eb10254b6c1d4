import { describe, expect, it } from "vitest";
import { DynamicBatcher } from "./dynamic-batcher.js";

/** A model of 2 inputs → 1 output (their sum), recording every call's example count. */
function summingModel() {
  const calls: number[] = [];
  const run = async (input: Float32Array, count: number) => {
    calls.push(count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (input[2 * i] as number) + (input[2 * i + 1] as number);
    return out;
  };
  return { calls, run };
}

const NEVER = 3_600_000;

describe("DynamicBatcher", () => {
  it("runs concurrent requests in one call once the batch is full, and gives each its own outputs", async () => {
    const model = summingModel();
    const batcher = new DynamicBatcher(model.run, { input: 2, output: 1 }, { maxBatch: 4, maxWaitMs: NEVER });
    const [a, b] = await Promise.all([
      batcher.submit(Float32Array.of(1, 2, 3, 4), 2),
      batcher.submit(Float32Array.of(10, 20, 30, 40), 2),
    ]);
    expect(model.calls).toEqual([4]);
    expect([Array.from(a.outputs), Array.from(b.outputs)]).toEqual([
      [3, 7],
      [30, 70],
    ]);
    expect([a.batchSize, b.batchSize]).toEqual([4, 4]);
  });

  it("never splits a request: one that does not fit waits for the next call", async () => {
    const model = summingModel();
    const batcher = new DynamicBatcher(model.run, { input: 2, output: 1 }, { maxBatch: 4, maxWaitMs: NEVER });
    const first = batcher.submit(new Float32Array(6), 3);
    const second = batcher.submit(new Float32Array(4), 2);
    await batcher.drain();
    expect(await Promise.all([first, second]).then((r) => r.map((x) => x.batchSize))).toEqual([3, 2]);
    expect(model.calls).toEqual([3, 2]);
  });

  it("drain runs a batch that would wait, and a failed call fails every request in it", async () => {
    const failing = new DynamicBatcher(
      async () => {
        throw new Error("model failed");
      },
      { input: 2, output: 1 },
      { maxBatch: 8, maxWaitMs: NEVER },
    );
    const pending = [failing.submit(new Float32Array(2), 1), failing.submit(new Float32Array(2), 1)];
    expect(failing.queuedExamples).toBe(2);
    await failing.drain();
    for (const request of pending) await expect(request).rejects.toThrow("model failed");
    expect(failing.queuedExamples).toBe(0);
  });
});
