import type { ModelLayout } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { InvalidUpdateError } from "../errors.js";
import { normBound } from "./norm-bound.js";
import { validateUpdate } from "./validate-update.js";

function caught(run: () => unknown): InvalidUpdateError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidUpdateError) return error;
    throw error;
  }
  throw new Error("expected an InvalidUpdateError");
}

describe("validateUpdate", () => {
  it("accepts a good update and returns its norm", () => {
    expect(validateUpdate(Float32Array.of(3, 4), { length: 2 })).toBe(5);
    expect(validateUpdate(Float32Array.of(3, 4), { length: 2, maxNorm: 5 })).toBe(5);
  });

  it("takes the expected length from a model layout", () => {
    const layout: ModelLayout = [
      { name: "dense/kernel", shape: [3, 2] },
      { name: "dense/bias", shape: [2] },
      { name: "scale", shape: [] },
    ];
    expect(validateUpdate(new Float32Array(9), { layout })).toBe(0);
    expect(caught(() => validateUpdate(new Float32Array(8), { layout })).details).toMatchObject({
      reason: "length",
      expected: 9,
      actual: 8,
    });
  });

  it("names the problem: length, the index of a NaN or infinity, the norm", () => {
    const length = caught(() => validateUpdate(new Float32Array(3), { length: 4 }));
    expect(length.reason).toBe("length");
    expect(length.code).toBe("INVALID_UPDATE");
    expect(length.details).toMatchObject({ expected: 4, actual: 3 });

    const values = new Float32Array(1000);
    values[640] = Number.NaN;
    values[900] = Number.POSITIVE_INFINITY;
    const nan = caught(() => validateUpdate(values, { length: 1000 }));
    expect(nan.reason).toBe("non-finite");
    expect(nan.details).toMatchObject({ index: 640, value: "NaN" });
    expect(nan.message).toContain("640");
    values[640] = 0;
    expect(caught(() => validateUpdate(values, { length: 1000 })).details).toMatchObject({
      index: 900,
      value: "Infinity",
    });

    const norm = caught(() => validateUpdate(Float32Array.of(3, 4), { length: 2, maxNorm: 4.99 }));
    expect(norm.reason).toBe("norm");
    expect(norm.details).toMatchObject({ norm: 5, maxNorm: 4.99 });

    expect(caught(() => validateUpdate([1, 2] as unknown as Float32Array, { length: 2 })).reason).toBe("type");
  });

  it("accepts whatever normBound returns for the same bound", () => {
    const vector = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * 3);
    for (const bound of [0.1, 1, 7.3]) {
      expect(() => validateUpdate(normBound(vector, bound), { length: 4096, maxNorm: bound })).not.toThrow();
    }
  });
});
