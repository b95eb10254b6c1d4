import { describe, expect, it } from "vitest";
import { FedYogi } from "./fed-yogi.js";

describe("FedYogi", () => {
  it("matches hand-computed values for two steps, on both sides of the sign", () => {
    // η = 1, β1 = 0.5, β2 = 0.75, τ = 2, v₋₁ = 0. v ← v − 0.25·Δ²·sign(v − Δ²).
    // Step 1 (both coordinates): x0 = 0, aggregate 4: Δ = 4, m = 2, v = 0 + 4 = 4, x1 = 2 / (2 + 2) = 0.5.
    // Step 2, coordinate 0: aggregate 4.5: Δ = 4, m = 3, v = 4 + 0.25·16 = 8 (v < Δ²), x2 = 0.5 + 3 / (√8 + 2).
    // Step 2, coordinate 1: aggregate 1.5: Δ = 1, m = 1.5, v = 4 − 0.25 = 3.75 (v > Δ²), x2 = 0.5 + 1.5 / (√3.75 + 2).
    const optimizer = new FedYogi({ serverLr: 1, beta1: 0.5, beta2: 0.75, tau: 2, initialAccumulator: 0 });
    const x1 = optimizer.stepDelta(Float32Array.of(0, 0), Float32Array.of(4, 4));
    expect(Array.from(x1)).toEqual([0.5, 0.5]);
    const x2 = optimizer.stepDelta(x1, Float32Array.of(4, 1));
    expect(x2[0]).toBe(Math.fround(0.5 + 3 / (Math.sqrt(8) + 2)));
    expect(x2[1]).toBe(Math.fround(0.5 + 1.5 / (Math.sqrt(3.75) + 2)));
  });
});
