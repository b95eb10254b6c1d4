import { describe, expect, it } from "vitest";
import type { DataShape } from "./algorithms/c2d-algorithm.js";
import { dpHistogram } from "./algorithms/dp-histogram.js";
import { dpMean } from "./algorithms/dp-mean.js";
import { checkGranularity, checkOutput } from "./output-policy.js";

const shape: DataShape = { records: 1000, featureSize: 3, featureShape: [3], numClasses: 3 };
const policy = { minRecordsPerCell: 20, maxEpsilonPerRun: 1 };

describe("the output policy after a run", () => {
  const histogram = { of: "feature" as const, epsilon: 1, feature: 0, edges: [0, 10, 20, 30] };

  it("lets out exactly the declared aggregate", () => {
    expect(checkOutput(dpHistogram, histogram, shape, { counts: [300, 400, 301] })).toEqual({
      counts: [300, 400, 301],
    });
  });

  it("keeps in anything else: a field more (records), more bins than declared, a number that is not an integer count", () => {
    const records = Array.from({ length: 1000 }, (_, i) => i % 30);
    expect(() => checkOutput(dpHistogram, histogram, shape, { counts: [300, 400, 301], values: records })).toThrow(
      /not the aggregate its parameters declare.*output: Unrecognized key: "values"/,
    );
    expect(() => checkOutput(dpHistogram, histogram, shape, { counts: records })).toThrow(/output.counts: Too big/);
    expect(() => checkOutput(dpHistogram, histogram, shape, { counts: [300.5, 400, 301] })).toThrow(/output.counts.0/);
    const mean = { epsilon: 1, features: [0, 1], lower: 0, upper: 10 };
    expect(() => checkOutput(dpMean, mean, shape, { means: [3, 11], count: 1000 })).toThrow(/output.means.1: Too big/);
    expect(() => checkOutput(dpMean, mean, shape, { means: [3, Number.NaN], count: 1000 })).toThrow(/output.means.1/);
  });
});

describe("the output policy before a run", () => {
  it("allows at most records / minRecordsPerCell cells and names record-level output", () => {
    const bins = (count: number) => ({
      of: "feature" as const,
      epsilon: 1,
      feature: 0,
      edges: Array.from({ length: count + 1 }, (_, i) => i),
    });
    expect(() => checkGranularity(dpHistogram, bins(50), shape, policy)).not.toThrow();
    expect(() => checkGranularity(dpHistogram, bins(51), shape, policy)).toThrow(
      /51 cells of 1000 records \(19\.61 records per cell\): output finer than this node lets out; .* at most 50 cells/,
    );
    expect(() => checkGranularity(dpHistogram, bins(1000), shape, policy)).toThrow(/record-level output/);
  });
});
