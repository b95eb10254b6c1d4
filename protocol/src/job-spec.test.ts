import { describe, expect, it } from "vitest";
import { canonicalJobSpecBytes, JobSpecSchema, MAX_MODEL_PARAMETERS } from "./job-spec.js";
import { InvalidInputError, parseInput } from "./parse.js";
import { FEDAVG_CNN, MLP_784_200_200_10 } from "./reference-models.js";

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

/** `value` with the keys of every object in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  );
}

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

  it("keeps GTG-era Shapley scoring specs valid and accepts the estimator choice for rounds of more than 12", () => {
    const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    const old = { method: "gtg-shapley", validationSetCid: cid, maxPermutations: 500, withinRoundTruncation: 0 };
    expect(parseInput(JobSpecSchema, { ...spec, scoring: old }, "JobSpec").scoring).toEqual(old);
    const stratified = { method: "gtg-shapley", validationSetCid: cid, estimator: "stratified", tolerance: 0.04 };
    expect(parseInput(JobSpecSchema, { ...spec, scoring: stratified }, "JobSpec").scoring).toEqual(stratified);
    const gtg = { method: "gtg-shapley", validationSetCid: cid, estimator: "gtg", maxEvaluations: 2000 };
    expect(parseInput(JobSpecSchema, { ...spec, scoring: gtg }, "JobSpec").scoring).toEqual(gtg);
    expect(issuesOf({ ...spec, scoring: { ...stratified, estimator: "kernel" } })).toEqual([
      expect.stringMatching(/^JobSpec\.scoring\.estimator: /),
    ]);
    expect(issuesOf({ ...spec, scoring: { ...stratified, tolerance: 0 } })).toEqual([
      expect.stringMatching(/^JobSpec\.scoring\.tolerance: /),
    ]);
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

  it("takes maxLocalSteps as a positive integer, absent by default (so older specs keep their canonical bytes)", () => {
    expect(parseInput(JobSpecSchema, spec, "JobSpec").maxLocalSteps).toBeUndefined();
    expect(parseInput(JobSpecSchema, { ...spec, maxLocalSteps: 64 }, "JobSpec").maxLocalSteps).toBe(64);
    expect(issuesOf({ ...spec, maxLocalSteps: 0 })).toEqual([
      "JobSpec.maxLocalSteps: Too small: expected number to be >0",
    ]);
    expect(issuesOf({ ...spec, maxLocalSteps: 2.5 })[0]).toMatch(/^JobSpec\.maxLocalSteps: /);
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

  it("refuses a dataset id above PostgreSQL bigint (2^63 − 1)", () => {
    expect(issuesOf({ ...spec, datasetIds: ["1", "99999999999999999999999"] })).toEqual([
      "JobSpec.datasetIds[1]: must be at most 9223372036854775807 (PostgreSQL bigint)",
    ]);
  });

  it("refuses duplicate dataset ids, naming each repeated id once at its first repeat", () => {
    expect(issuesOf({ ...spec, datasetIds: ["1", "1", "1"] })).toEqual([
      "JobSpec.datasetIds[1]: dataset 1 is listed more than once (first at datasetIds[0])",
    ]);
    expect(issuesOf({ ...spec, datasetIds: ["4", "2", "9", "2", "4"] })).toEqual([
      "JobSpec.datasetIds[3]: dataset 2 is listed more than once (first at datasetIds[1])",
      "JobSpec.datasetIds[4]: dataset 4 is listed more than once (first at datasetIds[0])",
    ]);
  });

  it("refuses a name PostgreSQL cannot store: a NUL character or a lone surrogate", () => {
    expect(issuesOf({ ...spec, name: "mnist\u0000mlp" })).toEqual([
      "JobSpec.name: must not contain the NUL character (U+0000)",
    ]);
    expect(issuesOf({ ...spec, name: "mnist \ud800" })).toEqual([
      "JobSpec.name: must be well-formed Unicode (no lone UTF-16 surrogate)",
    ]);
    expect(parseInput(JobSpecSchema, { ...spec, name: "mnist 🙂 é" }, "JobSpec").name).toBe("mnist 🙂 é");
  });

  it("caps the model's total parameters at 2^24 even when every layer is within its own cap", () => {
    expect(MAX_MODEL_PARAMETERS).toBe(16_777_216);
    // Five dense 2048 → 2048 layers: 5 · (2048 · 2048 + 2048) = 20,981,760 parameters.
    const wide = {
      inputShape: [2048],
      layers: Array.from({ length: 5 }, () => ({ type: "dense", units: 2048 })),
      loss: "meanSquaredError",
    };
    expect(issuesOf({ ...spec, model: wide })).toEqual([
      "JobSpec.model: the model has 20981760 parameters, more than the 16777216 a job may train",
    ]);
    // One dense 4096 → 4096 layer: 4096² = 2^24 exactly without bias (accepted), 2^24 + 4096 with it (refused).
    const square = (useBias: boolean) => ({
      inputShape: [4096],
      layers: [{ type: "dense", units: 4096, useBias }],
      loss: "meanSquaredError",
    });
    expect(parseInput(JobSpecSchema, { ...spec, model: square(false) }, "JobSpec").model.layers).toHaveLength(1);
    expect(issuesOf({ ...spec, model: square(true) })).toEqual([
      "JobSpec.model: the model has 16781312 parameters, more than the 16777216 a job may train",
    ]);
  });

  it("accepts the reference models under the cap (1,663,370 and 199,210 parameters, McMahan et al. 2017)", () => {
    expect(parseInput(JobSpecSchema, { ...spec, model: FEDAVG_CNN }, "JobSpec").model).toEqual(FEDAVG_CNN);
    expect(parseInput(JobSpecSchema, { ...spec, model: MLP_784_200_200_10 }, "JobSpec").model).toEqual(
      MLP_784_200_200_10,
    );
    // The coordinator benchmark's synthetic 1M model: dense 9,999 → 100 has (9,999 + 1) · 100 = 1,000,000.
    const million = { inputShape: [9999], layers: [{ type: "dense", units: 100 }], loss: "meanSquaredError" };
    expect(parseInput(JobSpecSchema, { ...spec, model: million }, "JobSpec").model.inputShape).toEqual([9999]);
  });

  it("commits to the parsed spec as canonical JSON: keys sorted at every depth, no whitespace, UTF-8", () => {
    const input = {
      rounds: 2,
      name: "é",
      learningRate: 0.1,
      datasetIds: ["7"],
      model: { loss: "meanSquaredError", layers: [{ units: 2, type: "dense" }], inputShape: [4] },
    };
    // Written out by hand from the schema's documented defaults.
    const expected =
      '{"batchSize":32,"clients":{"fraction":1,"max":1000,"min":1},"datasetIds":["7"],"dp":{"mode":"off"},' +
      '"learningRate":0.1,"localEpochs":1,"model":{"inputShape":[4],"layers":[{"activation":"linear",' +
      '"type":"dense","units":2,"useBias":true}],"loss":"meanSquaredError"},"name":"é","proximalMu":0,' +
      '"roundTimeoutS":300,"rounds":2,"scoring":{"method":"examples"},"strategy":{"name":"fedavg"}}';
    const bytes = canonicalJobSpecBytes(parseInput(JobSpecSchema, input, "JobSpec"));
    expect(Buffer.from(bytes).toString("utf8")).toBe(expected);
    expect(bytes.length).toBe(Buffer.byteLength(expected, "utf8"));
    // What a trainer is served (keys in whatever order a database returns them, parsed again) commits the same.
    const served = parseInput(JobSpecSchema, reversedKeys(JSON.parse(expected)), "JobSpec");
    expect(canonicalJobSpecBytes(served)).toEqual(bytes);
  });

  it("may require attested trainers of hardware kinds only, each at most once; absent, the spec commits as before", () => {
    const attested = parseInput(
      JobSpecSchema,
      { ...spec, attestation: { required: true, kinds: ["nitro", "tdx"] } },
      "JobSpec",
    );
    expect(attested.attestation).toEqual({ required: true, kinds: ["nitro", "tdx"] });
    expect(issuesOf({ ...spec, attestation: { required: true, kinds: ["simulated"] } })[0]).toMatch(
      /^JobSpec\.attestation\.kinds\[0\]: /,
    );
    expect(issuesOf({ ...spec, attestation: { required: true, kinds: ["sgx", "sgx"] } })).toEqual([
      "JobSpec.attestation.kinds: lists a kind more than once",
    ]);
    const plain = parseInput(JobSpecSchema, spec, "JobSpec");
    expect("attestation" in plain).toBe(false);
    expect(Buffer.from(canonicalJobSpecBytes(plain)).toString("utf8")).not.toContain("attestation");
  });
});
