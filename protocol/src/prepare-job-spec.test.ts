import { describe, expect, it } from "vitest";
import type { DatasetId } from "./ids.js";
import { prepareJobSpec } from "./prepare-job-spec.js";
import { encodeValidationSet } from "./validation-set.js";

const MODEL = {
  inputShape: [6],
  layers: [
    { type: "dense", units: 5, activation: "relu" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 3,
};
const SPEC = { name: "spec file", model: MODEL, datasetIds: ["1"], rounds: 2, learningRate: 0.1 };

function set(featureShape: number[], labels: number[]): Uint8Array {
  const size = featureShape.reduce((a, b) => a * b, 1);
  const features = Float32Array.from({ length: labels.length * size }, (_, i) => i / 10);
  return encodeValidationSet({ featureShape, features, labels: Int32Array.from(labels) });
}

describe("prepareJobSpec", () => {
  it("takes dataset ids and rounds from the flags, counts the parameters, and scores by GTG-Shapley on a given set", () => {
    const prepared = prepareJobSpec({
      spec: SPEC,
      datasetIds: ["4", "5"] as DatasetId[],
      rounds: 7,
      validationSet: set([6], [0, 2, 1]),
    });
    expect(prepared.spec.datasetIds).toEqual(["4", "5"]);
    expect(prepared.spec.rounds).toBe(7);
    // 6·5 + 5 + 5·3 + 3.
    expect(prepared.parameters).toBe(53);
    expect(prepared.spec.scoring.method).toBe("gtg-shapley");
    expect(prepared.validationSet?.decoded.count).toBe(3);
    expect(prepareJobSpec({ spec: SPEC }).spec.scoring).toEqual({ method: "examples" });
  });

  it("names the auditors given on the command line instead of the spec's (lower-cased, as they sign in)", () => {
    const auditor = "0x00000000000000000000000000000000000000Aa";
    const spec = { ...SPEC, auditors: ["0x00000000000000000000000000000000000000bb"] };
    expect(prepareJobSpec({ spec, auditors: [auditor] }).spec.auditors).toEqual([auditor.toLowerCase()]);
    expect(prepareJobSpec({ spec }).spec.auditors).toEqual(["0x00000000000000000000000000000000000000bb"]);
    expect(() => prepareJobSpec({ spec: SPEC, auditors: ["0x12"] })).toThrow(/JobSpec\.auditors\[0\]: /);
  });

  it("refuses what the coordinator or the chain would refuse later, naming where", () => {
    expect(() => prepareJobSpec({ spec: [] })).toThrow("invalid JobSpec: JobSpec: must be a JSON object");
    expect(() => prepareJobSpec({ spec: { ...SPEC, rounds: 0 } })).toThrow(/JobSpec\.rounds: /);
    expect(() => prepareJobSpec({ spec: { ...SPEC, datasetIds: ["1", "1"] } })).toThrow(
      "dataset 1 is listed more than once",
    );
    const noSet = { ...SPEC, scoring: { method: "leave-one-out" } };
    expect(() => prepareJobSpec({ spec: noSet })).toThrow(
      "JobSpec.scoring.validationSetCid: is missing: leave-one-out scores on the researcher's held-out set; give a validation set (the CLI's --validation-set FILE)",
    );
    const byExamples = { ...SPEC, scoring: { method: "examples" } };
    expect(() => prepareJobSpec({ spec: byExamples, validationSet: set([6], [0]) })).toThrow(
      "JobSpec.scoring.method: is examples, which uses no validation set",
    );
    expect(() => prepareJobSpec({ spec: SPEC, validationSet: set([2, 3], [0]) })).toThrow(
      "ValidationSet.featureShape: is 2×3, the model takes 6",
    );
    expect(() => prepareJobSpec({ spec: SPEC, validationSet: set([6], [0, 3]) })).toThrow(
      "ValidationSet.labels[1]: is 3, the model has 3 classes (0 to 2)",
    );
    expect(() => prepareJobSpec({ spec: SPEC, validationSet: new Uint8Array([1, 2, 3]) })).toThrow(/ValidationSet/);
    const conv = { ...SPEC, model: { ...MODEL, layers: [{ type: "conv2d", filters: 2, kernelSize: [3, 3] }] } };
    expect(() => prepareJobSpec({ spec: conv })).toThrow(/JobSpec\.model/);
  });

  it("fills an fltrust strategy's root dataset from the file given, apart from the validation set", () => {
    const fltrust = { ...SPEC, strategy: { name: "fltrust" } };
    const prepared = prepareJobSpec({
      spec: fltrust,
      validationSet: set([6], [0, 1, 2]),
      rootDataset: set([6], [2, 1]),
    });
    expect(prepared.rootDataset?.decoded.count).toBe(2);
    expect(prepared.spec.strategy).toMatchObject({ name: "fltrust" });
    expect(prepared.spec.scoring.method).toBe("gtg-shapley");
    expect(() => prepareJobSpec({ spec: fltrust })).toThrow(
      "JobSpec.strategy.rootDatasetCid: is missing: fltrust trains the server's own update each round on a root dataset",
    );
    expect(() => prepareJobSpec({ spec: SPEC, rootDataset: set([6], [0]) })).toThrow(
      "JobSpec.strategy.name: is not fltrust, the only strategy that trains on a root dataset",
    );
    const both = {
      ...SPEC,
      strategy: { name: "fltrust", rootDatasetCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" },
    };
    expect(() => prepareJobSpec({ spec: both, rootDataset: set([6], [0]) })).toThrow(
      "JobSpec.strategy.rootDatasetCid: is given and so is a root dataset file",
    );
    expect(() => prepareJobSpec({ spec: fltrust, validationSet: set([6], [0]), rootDataset: set([6], [0]) })).toThrow(
      "JobSpec.strategy.rootDatasetCid: is the validation set",
    );
    expect(() => prepareJobSpec({ spec: fltrust, rootDataset: set([6], [0, 5]) })).toThrow(
      "ValidationSet.labels[1]: is 5, the model has 3 classes (0 to 2)",
    );
  });
});
