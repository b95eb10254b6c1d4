import { describe, expect, it } from "vitest";
import { labelledRequests, percentile } from "./demo-inference-load.js";

describe("the demo buyer's requests and latencies", () => {
  it("takes nearest-rank percentiles (the worked example of the nearest-rank method)", () => {
    const values = [15, 20, 35, 40, 50];
    expect([5, 30, 40, 50, 100].map((p) => percentile(values, p))).toEqual([15, 20, 20, 35, 50]);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it("scales each record's values and nests them to the model's input shape, with its label", () => {
    const records = {
      features: Float32Array.from([0, 51, 102, 255, 255, 0, 0, 255]),
      labels: Int32Array.from([7, 3]),
      featureShape: [2, 2],
      numClasses: 10,
      count: 2,
      featureScale: 1 / 255,
    };
    const flat = labelledRequests(records, [4]);
    expect(flat).toEqual([
      { input: [0, 0.2, 0.4, 1], label: 7 },
      { input: [1, 0, 0, 1], label: 3 },
    ]);
    const nested = labelledRequests(records, [2, 2, 1]);
    expect(nested[0]).toEqual({
      input: [
        [[0], [0.2]],
        [[0.4], [1]],
      ],
      label: 7,
    });
  });
});
