import { describe, expect, it } from "vitest";
import { AggregationInputError } from "../errors.js";
import { FedAdagrad } from "./fed-adagrad.js";
import { FedAdam } from "./fed-adam.js";
import { FedAvgM } from "./fed-avg-m.js";
import { FedYogi } from "./fed-yogi.js";
import { restoreServerOptimizer } from "./restore-server-optimizer.js";
import type { ServerOptimizer } from "./server-optimizer.js";

const makers: [string, () => ServerOptimizer][] = [
  ["FedAvgM", () => new FedAvgM({ serverLr: 0.7, momentum: 0.9 })],
  ["FedAdagrad", () => new FedAdagrad({ serverLr: 0.3, beta1: 0.2 })],
  ["FedAdam", () => new FedAdam({ serverLr: 0.05, tau: 1e-4 })],
  ["FedYogi", () => new FedYogi({ serverLr: 0.02, beta2: 0.9 })],
];

function vector(seed: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
}

describe("server optimiser state", () => {
  it.each(makers)("%s survives a JSON round trip between rounds", (_, make) => {
    const live = make();
    let global = vector(1, 257);
    global = live.stepDelta(global, vector(2, 257));
    const persisted = JSON.parse(JSON.stringify(live));
    const restored = restoreServerOptimizer(persisted);
    expect(restored.kind).toBe(live.kind);
    expect(restored.steps).toBe(1);
    const next = vector(3, 257);
    expect(Array.from(restored.stepDelta(global, next))).toEqual(Array.from(live.stepDelta(global, next)));
    expect(restored.state()).toEqual(live.state());
  });

  it("a fresh optimiser's state restores too", () => {
    const state = new FedAdam().state();
    expect(state.m).toBeNull();
    expect(restoreServerOptimizer(state).steps).toBe(0);
  });

  it("reads state in the version-1 JSON format a coordinator persisted earlier", () => {
    // Built by hand from the format: float64 moments as base64 of their little-endian bytes.
    const m = [0.1, -0.2];
    const v = [0.01, 0.04];
    const base64 = (values: number[]) => Buffer.from(Float64Array.from(values).buffer).toString("base64");
    const persisted = {
      kind: "fedadam",
      version: 1,
      options: { serverLr: 1, beta1: 0.5, beta2: 0.5, tau: 1, initialAccumulator: 1 },
      steps: 3,
      length: 2,
      m: base64(m),
      v: base64(v),
    };
    const optimizer = restoreServerOptimizer(JSON.parse(JSON.stringify(persisted)));
    expect(optimizer.kind).toBe("fedadam");
    expect(optimizer.steps).toBe(3);
    // Adam from x = 0 with Δ = (1, −1): m ← 0.5·m + 0.5·Δ, v ← 0.5·v + 0.5·Δ², x ← x + m / (√v + 1).
    const delta = [1, -1];
    const expected = delta.map((d, i) => {
      const mi = 0.5 * (m[i] as number) + 0.5 * d;
      const vi = 0.5 * (v[i] as number) + 0.5 * d * d;
      return Math.fround(mi / (Math.sqrt(vi) + 1));
    });
    expect(Array.from(optimizer.stepDelta(new Float32Array(2), Float32Array.from(delta)))).toEqual(expected);
  });

  it("rejects malformed state", () => {
    const good = new FedYogi();
    good.stepDelta(vector(1, 4), vector(2, 4));
    const state = good.state();
    expect(() => restoreServerOptimizer({ ...state, kind: "sgd" })).toThrow(AggregationInputError);
    expect(() => restoreServerOptimizer({ ...state, length: 5 })).toThrow(AggregationInputError);
    expect(() => restoreServerOptimizer({ ...state, v: null })).toThrow(AggregationInputError);
    expect(() => restoreServerOptimizer({ ...state, options: { ...state.options, beta2: 2 } })).toThrow(
      AggregationInputError,
    );
    expect(() => FedAdam.fromState(state)).toThrow(AggregationInputError);
  });
});
