import { describe, expect, it } from "vitest";
import { JobSpecSchema } from "./job-spec.js";
import { parseInput } from "./parse.js";
import { SECAGG_SUM_BOUND, SecureAggregationSpecSchema, secAggScale } from "./secure-aggregation-spec.js";

const base = {
  name: "secagg job",
  model: {
    inputShape: [4],
    layers: [{ type: "dense", units: 2, activation: "softmax" }],
    loss: "sparseCategoricalCrossentropy",
    numClasses: 2,
  },
  datasetIds: ["1", "2", "3", "4", "5"],
  rounds: 3,
  learningRate: 0.1,
  clients: { min: 5, max: 10 },
  secureAggregation: { threshold: 3, neighbours: 4, quantisation: { clip: 1 } },
};

function problem(input: unknown): string {
  try {
    parseInput(JobSpecSchema, input, "JobSpec");
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("the secureAggregation option of a JobSpec", () => {
  it("is accepted with FedAvg-family strategies and example scoring", () => {
    expect(problem(base)).toBe("");
    expect(problem({ ...base, strategy: { name: "fedadam", serverLr: 0.1 } })).toBe("");
  });

  it("refuses a robust rule, which needs every update, and says so", () => {
    expect(problem({ ...base, strategy: { name: "krum", f: 1 } })).toMatch(
      /JobSpec\.secureAggregation: secure aggregation reveals only the sum.*strategy krum needs every update/,
    );
    expect(problem({ ...base, strategy: { name: "median" } })).toMatch(/strategy median needs every update/);
  });

  it("refuses scoring that needs one update", () => {
    expect(
      problem({
        ...base,
        scoring: {
          method: "leave-one-out",
          validationSetCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        },
      }),
    ).toMatch(/JobSpec\.scoring\.method: .*cannot score by leave-one-out/);
  });

  it("refuses a threshold of half the neighbours or less, an odd degree, and too few clients", () => {
    expect(problem({ ...base, secureAggregation: { ...base.secureAggregation, threshold: 2 } })).toMatch(
      /more than half of neighbours/,
    );
    expect(problem({ ...base, secureAggregation: { ...base.secureAggregation, neighbours: 5 } })).toMatch(
      /must be even/,
    );
    expect(problem({ ...base, clients: { min: 3, max: 10 } })).toMatch(
      /clients\.min: must exceed secureAggregation\.threshold/,
    );
  });

  it("chooses the largest power-of-two scale whose sum of max clients fits in 32 signed bits", () => {
    const spec = parseInput(SecureAggregationSpecSchema, base.secureAggregation, "spec");
    const scale = secAggScale(spec, 1000);
    // 1000 · 2^21 ≈ 2.1e9 < 2^31 − 1 ≈ 2.147e9, 1000 · 2^22 overflows.
    expect(scale).toBe(2 ** 21);
    expect(1000 * (scale + 0.5)).toBeLessThanOrEqual(SECAGG_SUM_BOUND);
    expect(() => secAggScale({ ...spec, quantisation: { clip: 1, scale: 2 ** 22 } }, 1000)).toThrow(
      /overflows 32 bits/,
    );
  });
});
