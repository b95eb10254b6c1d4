import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commitmentCid } from "./dataset-manifest.js";
import {
  type ModelMetadataInput,
  maxEpsilon,
  metadataCidOfUri,
  modelMetadataBytes,
  modelMetadataCid,
  modelTask,
} from "./model-metadata.js";

const METADATA: ModelMetadataInput = {
  version: 1,
  chainId: 31_337,
  trainingJobs: `0x${"AB".repeat(20)}`,
  jobId: "7",
  modelHash: `0x${"11".repeat(32)}`,
  modelCid: "bafkreiaiceiraeqcaiabaeaqcaiabaeaqcaiabaeaqcaiabaeaqcaiabae",
  parameters: 10,
  task: "regression",
  jobSpec: {
    name: "m",
    model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
    datasetIds: ["1", "2"],
    rounds: 2,
    learningRate: 0.1,
  },
  validation: null,
  privacy: [
    { datasetId: "1", epsilon: 1.5 },
    { datasetId: "2", epsilon: 0.25 },
  ],
};

describe("model metadata", () => {
  it("is named by the CID of its canonical JSON, defaults applied and addresses lower-cased", () => {
    const bytes = modelMetadataBytes(METADATA);
    const text = new TextDecoder().decode(bytes);
    // Canonical: keys sorted, no whitespace; the parsed form (the JobSpec's defaults filled in) is what is hashed.
    expect(text.startsWith('{"chainId":31337,"jobId":"7","jobSpec":{')).toBe(true);
    expect(text).toContain(`"trainingJobs":"0x${"ab".repeat(20)}"`);
    expect(text).toContain('"strategy":{"name":"fedavg"}');
    expect(text).not.toMatch(/\s/);
    const digest = createHash("sha256").update(text).digest("hex");
    expect(modelMetadataCid(METADATA)).toBe(commitmentCid(`0x${digest}`));
    // Re-parsing the parsed document changes nothing: the CID is stable across writer and reader.
    expect(modelMetadataCid(JSON.parse(text) as ModelMetadataInput)).toBe(modelMetadataCid(METADATA));
  });

  it("refuses a document that is not one, naming the field", () => {
    expect(() => modelMetadataBytes({ ...METADATA, parameters: 0 })).toThrow(/ModelMetadata\.parameters/);
    expect(() => modelMetadataBytes({ ...METADATA, extra: 1 } as ModelMetadataInput)).toThrow(/extra/);
  });

  it("reads the CID of an ipfs:// URI and nothing else", () => {
    const cid = modelMetadataCid(METADATA);
    expect(metadataCidOfUri(`ipfs://${cid}`)).toBe(cid);
    expect(metadataCidOfUri(`https://x/${cid}`)).toBeUndefined();
    expect(metadataCidOfUri("ipfs://not-a-cid")).toBeUndefined();
    expect(metadataCidOfUri("")).toBeUndefined();
  });

  it("takes the largest ε over the datasets, none when one trained without DP, and the task from the loss", () => {
    expect(maxEpsilon({ privacy: [] })).toBe(0);
    expect(maxEpsilon({ privacy: [{ datasetId: "1", epsilon: 0.5 } as never, { epsilon: 2 } as never] })).toBe(2);
    expect(maxEpsilon({ privacy: [{ epsilon: 0.5 } as never, { epsilon: null } as never] })).toBeNull();
    expect(modelTask({ loss: "meanSquaredError" })).toBe("regression");
    expect(modelTask({ loss: "sparseCategoricalCrossentropy" })).toBe("classification");
    expect(modelTask({ loss: "categoricalCrossentropy" })).toBe("classification");
  });
});
