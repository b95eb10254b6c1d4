import { describe, expect, it } from "vitest";
import { FedAdam } from "./fed-adam.js";

describe("FedAdam", () => {
  it("matches hand-computed values for two steps", () => {
    // η = 1, β1 = 0.5, β2 = 0.75, τ = 2, v₋₁ = 0.
    // Step 1: x0 = 0, aggregate 4: Δ = 4, m = 2, v = 0.25·16 = 4, x1 = 2 / (2 + 2) = 0.5.
    // Step 2: aggregate 4.5: Δ = 4, m = 1 + 2 = 3, v = 3 + 4 = 7, x2 = 0.5 + 3 / (√7 + 2) = √7 − 1.5.
    // Second coordinate mirrored: x0 = 1, aggregates −3 and −3.5 give x1 = 0.5 and x2 = 2.5 − √7.
    const optimizer = new FedAdam({ serverLr: 1, beta1: 0.5, beta2: 0.75, tau: 2, initialAccumulator: 0 });
    const x1 = optimizer.stepDelta(Float32Array.of(0, 1), Float32Array.of(4, -4));
    expect(Array.from(x1)).toEqual([0.5, 0.5]);
    const x2 = optimizer.stepDelta(x1, Float32Array.of(4, -4));
    expect(x2[0]).toBeCloseTo(Math.sqrt(7) - 1.5, 6);
    expect(x2[1]).toBeCloseTo(2.5 - Math.sqrt(7), 6);
    expect(x2[0]).toBe(Math.fround(0.5 + 3 / (Math.sqrt(7) + 2)));
  });

  it("does not modify its inputs", () => {
    const global = Float32Array.of(1, 2);
    const delta = Float32Array.of(2, 1);
    new FedAdam().stepDelta(global, delta);
    expect(Array.from(global)).toEqual([1, 2]);
    expect(Array.from(delta)).toEqual([2, 1]);
  });
});
