import { describe, expect, it } from "vitest";
import { InvalidInputError } from "./parse.js";
import { decodeValidationSet, encodeValidationSet, ValidationSetFormatError } from "./validation-set.js";

/**
 * Two examples of shape [1, 2] with features [1, -2] and [0.5, 3] and labels 7 and 258, written out byte by
 * byte from the documented layout (IEEE-754: 1.0 = 3f800000, -2.0 = c0000000, 0.5 = 3f000000, 3.0 = 40400000).
 */
const HAND_BUILT = Uint8Array.from([
  ...[0x54, 0x52, 0x56, 0x53], // magic "TRVS"
  ...[0x01, 0x00, 0x00, 0x00], // version 1
  ...[0x02, 0x00, 0x00, 0x00], // rank 2
  ...[0x01, 0x00, 0x00, 0x00], // dim 1
  ...[0x02, 0x00, 0x00, 0x00], // dim 2
  ...[0x02, 0x00, 0x00, 0x00], // count 2
  ...[0x00, 0x00, 0x80, 0x3f], // 1.0
  ...[0x00, 0x00, 0x00, 0xc0], // -2.0
  ...[0x00, 0x00, 0x00, 0x3f], // 0.5
  ...[0x00, 0x00, 0x40, 0x40], // 3.0
  ...[0x07, 0x00, 0x00, 0x00], // label 7
  ...[0x02, 0x01, 0x00, 0x00], // label 258
]);

function withBytes(patch: Record<number, number>, base = HAND_BUILT): Uint8Array {
  const copy = Uint8Array.from(base);
  for (const [at, value] of Object.entries(patch)) copy[Number(at)] = value;
  return copy;
}

function formatError(run: () => unknown): ValidationSetFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationSetFormatError);
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as ValidationSetFormatError;
  }
  throw new Error("expected decodeValidationSet to throw");
}

describe("validation set encoding", () => {
  it("writes exactly the documented bytes", () => {
    const bytes = encodeValidationSet({
      featureShape: [1, 2],
      features: Float32Array.of(1, -2, 0.5, 3),
      labels: Int32Array.of(7, 258),
    });
    expect([...bytes]).toEqual([...HAND_BUILT]);
  });

  it("reads the documented bytes, also from an odd offset inside a larger buffer", () => {
    const backing = new Uint8Array(HAND_BUILT.length + 3);
    backing.set(HAND_BUILT, 1);
    for (const bytes of [HAND_BUILT, backing.subarray(1, 1 + HAND_BUILT.length)]) {
      const set = decodeValidationSet(bytes);
      expect(set.featureShape).toEqual([1, 2]);
      expect(set.count).toBe(2);
      expect([...set.features]).toEqual([1, -2, 0.5, 3]);
      expect([...set.labels]).toEqual([7, 258]);
    }
  });

  it("round-trips every float bit-exactly and derives the count from the labels", () => {
    const featureShape = [3, 4, 2];
    const count = 37;
    const features = Float32Array.from({ length: count * 24 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    features.set([-0, 1e-45, 3.4e38, -1.17549435e-38], 10);
    const labels = Int32Array.from({ length: count }, (_, i) => (i * 7919) % 1000);
    const bytes = encodeValidationSet({ featureShape, features, labels });
    expect(bytes.length).toBe(16 + 4 * 3 + 4 * count * 24 + 4 * count);
    const set = decodeValidationSet(bytes);
    expect(set.count).toBe(count);
    expect(set.featureShape).toEqual(featureShape);
    expect(Buffer.from(set.features.buffer).equals(Buffer.from(features.buffer))).toBe(true);
    expect(set.labels).toEqual(labels);
    // The decoded arrays are the caller's: changing the blob afterwards does not change them.
    bytes.fill(0);
    expect(set.labels).toEqual(labels);
  });

  it("refuses to encode an inconsistent set, naming the field", () => {
    const ok = { featureShape: [2], features: Float32Array.of(1, 2, 3, 4), labels: Int32Array.of(0, 1) };
    const cases: [object, RegExp][] = [
      [{ ...ok, features: Float32Array.of(1, 2, 3) }, /ValidationSet\.features: 2 labels .* need 4 features, got 3/],
      [{ ...ok, labels: Int32Array.of(0, -1) }, /ValidationSet\.labels\[1\]: labels are class indices ≥ 0/],
      [{ ...ok, features: Float32Array.of(1, Number.NaN, 3, 4) }, /ValidationSet\.features\[1\]: .*finite/],
      [{ ...ok, featureShape: [] }, /ValidationSet\.featureShape/],
      [{ ...ok, featureShape: [2.5] }, /ValidationSet\.featureShape\[0\]/],
      [{ featureShape: [2], features: new Float32Array(0), labels: new Int32Array(0) }, /≥ 1 example/],
    ];
    for (const [input, message] of cases) {
      expect(() => encodeValidationSet(input as Parameters<typeof encodeValidationSet>[0])).toThrow(message);
      expect(() => encodeValidationSet(input as Parameters<typeof encodeValidationSet>[0])).toThrow(InvalidInputError);
    }
  });
});

describe("validation set decoding refuses malformed blobs, saying what and where", () => {
  it("truncated anywhere: the offset is where the data ends", () => {
    for (let length = 0; length < HAND_BUILT.length; length++) {
      const error = formatError(() => decodeValidationSet(HAND_BUILT.subarray(0, length)));
      expect(error.offset).toBe(length);
      expect(error.message).toMatch(/truncated/);
      expect(error.code).toBe("INVALID_INPUT");
    }
    const field = (length: number) =>
      formatError(() => decodeValidationSet(HAND_BUILT.subarray(0, length))).issues[0]?.path;
    expect(field(3)).toBe("ValidationSet.magic");
    expect(field(10)).toBe("ValidationSet.rank");
    expect(field(18)).toBe("ValidationSet.featureShape");
    expect(field(30)).toBe("ValidationSet.features");
    expect(field(47)).toBe("ValidationSet.labels");
  });

  it("bytes after the last label", () => {
    const error = formatError(() => decodeValidationSet(Uint8Array.from([...HAND_BUILT, 0])));
    expect(error.offset).toBe(48);
    expect(error.message).toMatch(/1 unexpected bytes after the last label \(at byte offset 48\)/);
  });

  it("wrong magic, unknown version, bad rank, zero dimension, zero count", () => {
    const cases: [Uint8Array, number, RegExp][] = [
      [withBytes({ 0: 0x50, 1: 0x4b, 2: 0x03, 3: 0x04 }), 0, /magic is 50 4b 03 04/], // a zip file
      [withBytes({ 4: 2 }), 4, /unsupported version 2/],
      [withBytes({ 8: 0 }), 8, /rank 0 is outside 1–8/],
      [withBytes({ 8: 9 }), 8, /rank 9 is outside 1–8/],
      [withBytes({ 16: 0 }), 16, /featureShape\[1\]: a dimension is 0/],
      [withBytes({ 20: 0 }), 20, /count: the set has no examples/],
    ];
    for (const [bytes, offset, message] of cases) {
      const error = formatError(() => decodeValidationSet(bytes));
      expect(error.offset).toBe(offset);
      expect(error.message).toMatch(message);
    }
  });

  it("a header announcing more data than any blob holds is reported as truncated, not allocated", () => {
    const huge = withBytes({ 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff, 20: 0xff, 21: 0xff, 22: 0xff, 23: 0xff });
    const error = formatError(() => decodeValidationSet(huge));
    expect(error.offset).toBe(48);
    expect(error.issues[0]?.path).toBe("ValidationSet.features");
  });

  it("a non-finite feature or a negative label, at its own offset", () => {
    // Feature 3 (example 1, feature 1) becomes NaN (7fc00000); label 1 becomes -1 (ffffffff).
    const nan = formatError(() => decodeValidationSet(withBytes({ 38: 0xc0, 39: 0x7f })));
    expect(nan.offset).toBe(36);
    expect(nan.message).toMatch(/features\[3\]: feature 1 of example 1 is NaN/);
    const negative = formatError(() => decodeValidationSet(withBytes({ 44: 0xff, 45: 0xff, 46: 0xff, 47: 0xff })));
    expect(negative.offset).toBe(44);
    expect(negative.message).toMatch(/labels\[1\]: label -1 of example 1 is negative/);
  });

  it("garbage: random bytes never decode, and every refusal is typed", () => {
    let state = 12345;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state & 0xff;
    };
    for (let trial = 0; trial < 200; trial++) {
      const bytes = Uint8Array.from({ length: trial % 64 }, next);
      // Keep the magic and version on half the trials, so the later checks see garbage too.
      if (trial % 2 === 0 && bytes.length >= 8) bytes.set(HAND_BUILT.subarray(0, 8));
      const error = formatError(() => decodeValidationSet(bytes));
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.length);
    }
  });
});
