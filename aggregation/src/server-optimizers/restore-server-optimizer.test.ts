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
