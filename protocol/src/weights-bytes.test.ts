import { describe, expect, it } from "vitest";
import { bytesToWeights, weightsToBytes, weightsView } from "./weights-bytes.js";

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

describe("weightsView", () => {
  it("reads the same floats as bytesToWeights, sharing memory only when the offset allows it", () => {
    const weights = Float32Array.from([1.5, -2.25, 3e-8, Number.MAX_VALUE / 2]);
    const aligned = weightsToBytes(weights);
    const view = weightsView(aligned);
    expect([...view]).toEqual([...bytesToWeights(aligned)]);
    expect(view.buffer).toBe(aligned.buffer);
    // A received Buffer may start at an offset that is not a multiple of 4: then it is a copy.
    const shifted = new Uint8Array(aligned.byteLength + 1);
    shifted.set(aligned, 1);
    const unaligned = shifted.subarray(1);
    const copy = weightsView(unaligned);
    expect([...copy]).toEqual([...weights]);
    expect(copy.buffer).not.toBe(shifted.buffer);
    expect(() => weightsView(new Uint8Array(6))).toThrow(RangeError);
  });
});
