import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { JobSpecInput } from "./job-spec.js";
import { jobSpecHash } from "./job-spec-hash.js";

const SPEC: JobSpecInput = {
  name: "tiny",
  model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
  datasetIds: ["1", "2"],
  rounds: 3,
  learningRate: 0.1,
};

/** The same spec with every default written out, keys sorted by UTF-16 code unit by hand ("T" < "s"), no whitespace. */
const CANONICAL =
  '{"batchSize":32,"clients":{"fraction":1,"max":1000,"min":1},"datasetIds":["1","2"],"dp":{"mode":"off"},' +
  '"learningRate":0.1,"localEpochs":1,"model":{"inputShape":[4],"layers":[{"activation":"linear","type":"dense",' +
  '"units":2,"useBias":true}],"loss":"meanSquaredError"},"name":"tiny","proximalMu":0,"roundTimeoutS":300,' +
  '"rounds":3,"scoring":{"method":"examples"},"strategy":{"name":"fedavg"}}';

describe("jobSpecHash", () => {
  it("is the SHA-256 of the spec's canonical JSON with its defaults filled in", () => {
    expect(jobSpecHash(SPEC)).toBe(`0x${createHash("sha256").update(CANONICAL).digest("hex")}`);
  });

  it("does not depend on key order or on defaults being written out", () => {
    const reordered = JSON.parse(CANONICAL.replace('"name":"tiny",', "")) as Record<string, unknown>;
    expect(jobSpecHash({ name: "tiny", ...reordered } as JobSpecInput)).toBe(jobSpecHash(SPEC));
    expect(jobSpecHash({ ...SPEC, rounds: 4 })).not.toBe(jobSpecHash(SPEC));
  });
});
