import { describe, expect, it } from "vitest";
import { JobSpecSchema } from "./job-spec.js";
import { InvalidInputError, parseInput } from "./parse.js";

const mlp = {
  inputShape: [784],
  layers: [
    { type: "dense", units: 200, activation: "relu" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 10,
};

const spec = {
  name: "fashion-mnist mlp",
  model: mlp,
  datasetIds: ["1", "2"],
  rounds: 20,
  learningRate: 0.05,
  strategy: { name: "trimmedmean", trim: 2 },
  dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 8, delta: 1e-5 },
};

function issuesOf(input: unknown): string[] {
  try {
    parseInput(JobSpecSchema, input, "JobSpec");
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("the input was accepted");
}

describe("JobSpec", () => {
  it("fills documented defaults and survives a JSON round trip unchanged", () => {
    const parsed = parseInput(JobSpecSchema, spec, "JobSpec");
    expect(parsed.localEpochs).toBe(1);
    expect(parsed.batchSize).toBe(32);
    expect(parsed.proximalMu).toBe(0);
    expect(parsed.clients).toEqual({ fraction: 1, min: 1, max: 1000 });
    expect(parsed.model.layers[0]).toEqual({ type: "dense", units: 200, activation: "relu", useBias: true });
    const again = parseInput(JobSpecSchema, JSON.parse(JSON.stringify(parsed)), "JobSpec");
    expect(again).toEqual(parsed);
  });

  it("names the exact path of a bad dataset id, layer field and strategy", () => {
    expect(issuesOf({ ...spec, datasetIds: ["1", "-3"] })).toEqual([
      "JobSpec.datasetIds[1]: must be a non-negative decimal integer without leading zeros",
    ]);
    const badLayer = { ...mlp, layers: [{ type: "dense", units: 0 }, mlp.layers[1]] };
    expect(issuesOf({ ...spec, model: badLayer })).toEqual([
      "JobSpec.model.layers[0].units: Too small: expected number to be >0",
    ]);
    expect(issuesOf({ ...spec, strategy: { name: "fedsgd" } })[0]).toMatch(/^JobSpec\.strategy\.name: /);
  });

  it("rejects unknown fields instead of silently dropping them", () => {
    expect(issuesOf({ ...spec, roundz: 3 })).toEqual([`JobSpec: Unrecognized key: "roundz"`]);
  });

  it("reports every problem at once, not just the first", () => {
    const issues = issuesOf({
      ...spec,
      rounds: 0,
      learningRate: -1,
      dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 8, delta: 1 },
    });
    expect(issues.map((issue) => issue.split(":")[0])).toEqual([
      "JobSpec.rounds",
      "JobSpec.learningRate",
      "JobSpec.dp.delta",
    ]);
  });

  it("rejects a client selection whose minimum exceeds its maximum", () => {
    expect(issuesOf({ ...spec, clients: { min: 5, max: 2 } })).toEqual([
      "JobSpec.clients.min: min must not exceed max",
    ]);
  });
});
