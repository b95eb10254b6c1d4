import { describe, expect, it } from "vitest";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { FedAvgM } from "./fed-avg-m.js";

describe("FedAvgM", () => {
  it("matches hand-computed values for two steps", () => {
    // η = 1, β = 0.5. Step 1: x0 = (1, 2), aggregate (2, 0): Δ = (1, −2), m = (1, −2), x1 = (2, 0).
    // Step 2: aggregate (3, 1): Δ = (1, 1), m = 0.5·(1, −2) + (1, 1) = (1.5, 0), x2 = (3.5, 0).
    const optimizer = new FedAvgM({ serverLr: 1, momentum: 0.5 });
    const x1 = optimizer.stepDelta(Float32Array.of(1, 2), Float32Array.of(1, -2));
    expect(Array.from(x1)).toEqual([2, 0]);
    expect(Array.from(optimizer.stepDelta(x1, Float32Array.of(1, 1)))).toEqual([3.5, 0]);
    expect(optimizer.steps).toBe(2);

    // η = 0.5, β = 0.25. Step 1: x0 = (0), aggregate (4): m = 4, x1 = 2. Step 2: aggregate (0): Δ = −2,
    // m = 0.25·4 − 2 = −1, x2 = 2 − 0.5 = 1.5.
    const slow = new FedAvgM({ serverLr: 0.5, momentum: 0.25 });
    const y1 = slow.stepDelta(Float32Array.of(0), Float32Array.of(4));
    expect(Array.from(y1)).toEqual([2]);
    expect(Array.from(slow.stepDelta(y1, Float32Array.of(-2)))).toEqual([1.5]);
  });

  it("is plain FedAvg with η = 1 and no momentum", () => {
    const optimizer = new FedAvgM({ serverLr: 1, momentum: 0 });
    const aggregate = Float32Array.of(0.125, -7, 3.25);
    const delta = Float32Array.of(-4.875, -12, -1.75);
    expect(Array.from(optimizer.stepDelta(Float32Array.of(5, 5, 5), delta))).toEqual(Array.from(aggregate));
  });

  it("rejects bad options, mismatched or non-finite inputs, and a length change", () => {
    expect(() => new FedAvgM({ momentum: 1 })).toThrow(AggregationInputError);
    expect(() => new FedAvgM({ serverLr: 0 })).toThrow(AggregationInputError);
    const optimizer = new FedAvgM();
    expect(() => optimizer.stepDelta(Float32Array.of(1, 2), Float32Array.of(1))).toThrow(InvalidUpdateError);
    expect(() => optimizer.stepDelta(Float32Array.of(1), Float32Array.of(Number.NaN))).toThrow(
      expect.objectContaining({ reason: "non-finite" }),
    );
    optimizer.stepDelta(Float32Array.of(1, 2), Float32Array.of(0, 0));
    expect(() => optimizer.stepDelta(Float32Array.of(1, 2, 3), Float32Array.of(0, 0, 0))).toThrow(
      expect.objectContaining({ reason: "length" }),
    );
  });
});
