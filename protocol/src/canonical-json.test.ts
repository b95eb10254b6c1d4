import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";
import { manifestCommitment } from "./dataset-manifest.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth, keeps array order, drops undefined members, adds no whitespace", () => {
    const value = { b: [3, { z: 1, a: "x" }], a: { d: null, c: true }, skip: undefined, é: 1, Z: 2 };
    // Keys compare by UTF-16 code units: "Z" (0x5A) < "a" (0x61) < "b" < "é" (0xE9).
    expect(canonicalJson(value)).toBe('{"Z":2,"a":{"c":true,"d":null},"b":[3,{"a":"x","z":1}],"é":1}');
  });

  it("writes numbers and strings as JSON.stringify does and refuses non-finite numbers", () => {
    expect(canonicalJson([1e21, 0.1, -0, 'a"\n'])).toBe('[1e+21,0.1,0,"a\\"\\n"]');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ x: 1n })).toThrow(TypeError);
  });

  it("makes the commitment independent of key order", () => {
    const shard = { name: "a", role: "records" as const, sha256: "0".repeat(64), bytes: 3 };
    const one = manifestCommitment({
      version: 1,
      format: "csv",
      recordCount: 1,
      featureShape: [2],
      numClasses: 2,
      labelHistogram: [1, 0],
      shards: [shard],
    });
    const other = manifestCommitment({
      shards: [{ bytes: 3, sha256: "0".repeat(64), role: "records", name: "a" }],
      labelHistogram: [1, 0],
      numClasses: 2,
      featureShape: [2],
      recordCount: 1,
      format: "csv",
      version: 1,
    });
    expect(one).toBe(other);
    expect(one).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("refuses a manifest whose histogram does not add up", () => {
    expect(() =>
      manifestCommitment({
        version: 1,
        format: "csv",
        recordCount: 2,
        featureShape: [2],
        numClasses: 2,
        labelHistogram: [1, 0],
        shards: [{ name: "a", role: "records", sha256: "0".repeat(64), bytes: 3 }],
      }),
    ).toThrow(/does not sum to recordCount/);
  });
});
