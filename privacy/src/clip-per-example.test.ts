import type { ModelLayout } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { clipPerExample, clipPerExamplePerLayer } from "./clip-per-example.js";
import { clipUpdate } from "./clip-update.js";
import { equalPerLayerClipNorms, layerSegments, perLayerSensitivity } from "./layer-segments.js";

/** Deterministic pseudo-random test data (no privacy role). */
function data(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 4;
  });
}

/** Plain float64 reference: clip each row (given as [start, end) pieces) to its bound and sum. */
function reference(rows: number[][], bound: number): number[] {
  const sum = new Array<number>(rows[0]?.length ?? 0).fill(0);
  for (const row of rows) {
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    const scale = norm > bound ? bound / norm : 1;
    row.forEach((v, j) => {
      sum[j] = (sum[j] as number) + v * scale;
    });
  }
  return sum;
}

describe("clipPerExample", () => {
  it("clips each row to the norm bound and sums them (flat)", () => {
    const n = 7;
    const d = 1000;
    const g = data(n * d, 1);
    const sum = new Float64Array(d);
    const norms = new Float64Array(n);
    const clipped = clipPerExample(g, n, 5, sum, norms);
    const rows = Array.from({ length: n }, (_, r) => Array.from(g.subarray(r * d, (r + 1) * d)));
    const expected = reference(rows, 5);
    expected.forEach((v, j) => {
      expect(sum[j]).toBeCloseTo(v, 4);
    });
    rows.forEach((row, r) => {
      expect(norms[r]).toBeCloseTo(Math.hypot(...row), 6);
    });
    expect(clipped).toBe(rows.filter((row) => Math.hypot(...row) > 5).length);
    expect(clipped).toBeGreaterThan(0);
  });

  it("bounds every example's contribution by C (the sensitivity)", () => {
    const d = 64;
    const g = data(3 * d, 2);
    const without = new Float64Array(d);
    const withAll = new Float64Array(d);
    clipPerExample(g.subarray(0, 2 * d), 2, 0.5, without);
    clipPerExample(g, 3, 0.5, withAll);
    const diff = Math.sqrt(withAll.reduce((s, v, j) => s + (v - (without[j] as number)) ** 2, 0));
    expect(diff).toBeLessThanOrEqual(0.5);
  });

  it("clips per layer of a ModelLayout, with sensitivity √Σ C_t²", () => {
    const layout: ModelLayout = [
      { name: "dense/kernel", shape: [20, 10] },
      { name: "dense/bias", shape: [10] },
      { name: "out/kernel", shape: [10, 3] },
    ];
    const segments = layerSegments(layout);
    expect(Array.from(segments.bounds)).toEqual([0, 200, 210, 240]);
    const clipNorms = equalPerLayerClipNorms(3, 3);
    expect(perLayerSensitivity(clipNorms)).toBeCloseTo(3, 12);
    const n = 4;
    const g = data(n * 240, 3);
    const sum = new Float32Array(240);
    clipPerExamplePerLayer(g, n, segments, clipNorms, sum);
    for (let t = 0; t < 3; t++) {
      const from = segments.bounds[t] as number;
      const to = segments.bounds[t + 1] as number;
      const rows = Array.from({ length: n }, (_, r) => Array.from(g.subarray(r * 240 + from, r * 240 + to)));
      reference(rows, clipNorms[t] as number).forEach((v, j) => {
        expect(sum[from + j]).toBeCloseTo(v, 4);
      });
    }
  });

  it("rejects shapes that do not match", () => {
    expect(() => clipPerExample(new Float32Array(10), 3, 1, new Float32Array(3))).toThrow(/perExample.length/);
    expect(() => clipPerExample(new Float32Array(9), 3, 0, new Float32Array(3))).toThrow(/clipNorm/);
  });
});

describe("clipUpdate", () => {
  it("scales an update over the bound so that its stored float32 norm is within it", () => {
    const update = data(1_000_000, 4);
    const before = Math.sqrt(update.reduce((s, v) => s + v * v, 0));
    const { norm, scale } = clipUpdate(update, 1);
    expect(norm).toBeCloseTo(before, 3);
    let after = 0;
    for (const v of update) after += v * v;
    expect(Math.sqrt(after)).toBeLessThanOrEqual(1);
    expect(Math.sqrt(after)).toBeGreaterThan(1 - 1e-5);
    expect(scale).toBeCloseTo(1 / before, 8);
  });

  it("leaves an update within the bound untouched", () => {
    const update = Float32Array.of(0.3, 0.4);
    const { norm, scale } = clipUpdate(update, 1);
    expect(norm).toBeCloseTo(Math.hypot(Math.fround(0.3), Math.fround(0.4)), 15);
    expect(scale).toBe(1);
    expect(Array.from(update)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});
