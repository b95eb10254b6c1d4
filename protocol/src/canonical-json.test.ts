import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";
import { commitmentCid, manifestBytes, manifestCid, manifestCommitment } from "./dataset-manifest.js";

/** RFC 4648 base32, lower case, no padding: the multibase `b` of a CIDv1 string, written out here. */
function base32(bytes: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = "";
  for (const byte of bytes) bits += byte.toString(2).padStart(8, "0");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out;
}

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

  it("names the manifest's canonical bytes by the CIDv1 an IPFS node gives them, whose digest is the commitment", () => {
    const manifest = {
      version: 1 as const,
      format: "jsonl" as const,
      recordCount: 2,
      featureShape: [3],
      numClasses: 2,
      labelHistogram: [1, 1],
      shards: [{ name: "r.jsonl", role: "records" as const, sha256: "ab".repeat(32), bytes: 40 }],
    };
    const text = canonicalJson(manifest);
    expect(new TextDecoder().decode(manifestBytes(manifest))).toBe(text);
    const digest = createHash("sha256").update(text).digest();
    expect(manifestCommitment(manifest)).toBe(`0x${digest.toString("hex")}`);
    // CIDv1 = multibase "b" + base32(varint version 1, raw codec 0x55, sha2-256 0x12, length 32, digest).
    expect(manifestCid(manifest)).toBe(`b${base32(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]))}`);
    expect(manifestCid(manifest)).toMatch(/^bafkrei[a-z2-7]{52}$/);
    expect(commitmentCid(manifestCommitment(manifest))).toBe(manifestCid(manifest));
  });
});
