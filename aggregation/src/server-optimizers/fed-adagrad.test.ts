import { describe, expect, it } from "vitest";
import { FedAdagrad } from "./fed-adagrad.js";

describe("FedAdagrad", () => {
  it("matches hand-computed values for two steps", () => {
    // η = 1, β1 = 0, τ = 1, v₋₁ = 0. Step 1: x0 = 0, aggregate 3: Δ = 3, m = 3, v = 9, x1 = 3 / (3 + 1) = 0.75.
    // Step 2: aggregate 2.75: Δ = 2, m = 2, v = 9 + 4 = 13, x2 = 0.75 + 2 / (√13 + 1).
    // Second coordinate, negative steps: x0 = 1, aggregate −2: Δ = −3, v = 9, x1 = 1 − 0.75 = 0.25;
    // aggregate −1.75: Δ = −2, v = 13, x2 = 0.25 − 2 / (√13 + 1).
    const optimizer = new FedAdagrad({ serverLr: 1, beta1: 0, tau: 1, initialAccumulator: 0 });
    const x1 = optimizer.stepDelta(Float32Array.of(0, 1), Float32Array.of(3, -3));
    expect(Array.from(x1)).toEqual([0.75, 0.25]);
    const x2 = optimizer.stepDelta(x1, Float32Array.of(2, -2));
    expect(x2[0]).toBe(Math.fround(0.75 + 2 / (Math.sqrt(13) + 1)));
    expect(x2[1]).toBe(Math.fround(0.25 - 2 / (Math.sqrt(13) + 1)));
  });

  it("starts from v₋₁ = τ² by default (Reddi et al., Algorithm 2)", () => {
    // τ = 0.5, η = 1: v = 0.25 + 1 = 1.25 after Δ = 1, so x1 = 1 / (√1.25 + 0.5).
    const optimizer = new FedAdagrad({ serverLr: 1, tau: 0.5 });
    expect(optimizer.stepDelta(Float32Array.of(0), Float32Array.of(1))[0]).toBe(
      Math.fround(1 / (Math.sqrt(1.25) + 0.5)),
    );
  });
});
