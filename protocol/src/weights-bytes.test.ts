import { describe, expect, it } from "vitest";
import { bytesToWeights, weightsToBytes } from "./weights-bytes.js";

describe("weights as bytes", () => {
  it("encodes IEEE-754 little-endian float32 (1.0 is 00 00 80 3f)", () => {
    expect([...weightsToBytes(Float32Array.of(1, -2))]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it("decodes bytes that start at an odd offset inside a larger buffer", () => {
    const backing = new Uint8Array(9);
    backing.set([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], 1);
    expect([...bytesToWeights(backing.subarray(1))]).toEqual([1, -2]);
  });

  it("rejects a length that is not a multiple of four", () => {
    expect(() => bytesToWeights(new Uint8Array(7))).toThrow(/multiple of 4 bytes, got 7/);
  });
});
