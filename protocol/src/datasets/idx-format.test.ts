import { describe, expect, it } from "vitest";
import { DatasetFormatError } from "./dataset-format-error.js";
import { maybeGunzip, parseIdx } from "./idx-format.js";

describe("IDX format", () => {
  it("reads the big-endian header and values of every IDX type", () => {
    // A 2×2 int16 file written byte by byte: magic 00 00 0B 02, dims 2 and 2, values 1, -2, 300, -32768.
    const int16 = Uint8Array.from([0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0xff, 0xfe, 0x01, 0x2c, 0x80, 0x00]);
    expect(parseIdx(int16, "f")).toEqual({ type: 0x0b, dims: [2, 2], values: Int32Array.from([1, -2, 300, -32768]) });
    // float32 1.5 = 0x3FC00000, float64 -2 = 0xC000000000000000, sbyte -1 = 0xFF.
    expect(parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]), "f").values).toEqual(
      Float32Array.from([1.5]),
    );
    expect(parseIdx(Uint8Array.from([0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0, 0, 0, 0, 0, 0, 0]), "f").values).toEqual(
      Float32Array.from([-2]),
    );
    expect(parseIdx(Uint8Array.from([0, 0, 0x09, 1, 0, 0, 0, 1, 0xff]), "f").values).toEqual(Int32Array.from([-1]));
  });

  it("refuses short headers, unknown types, zero dimensions and trailing bytes", () => {
    expect(() => parseIdx(Uint8Array.from([0, 0, 8]), "f")).toThrow(/shorter than an IDX header/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), "f")).toThrow(
      /bad IDX magic number 0x00000a01/,
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), "f")).toThrow(DatasetFormatError);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]), "f")).toThrow(/truncated header/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 5, 6]), "f")).toThrow(/trailing bytes/);
  });

  it("refuses a gzip stream cut short, naming the file", async () => {
    // gzip's header (1f 8b 08, no flags) and the first bytes of a deflate stream, then nothing.
    const cut = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x63, 0x60]);
    await expect(maybeGunzip(cut, "cut.gz")).rejects.toThrow(/^cut\.gz: corrupt gzip stream/);
    // Bytes without the magic number are passed through untouched.
    const plain = Uint8Array.from([0, 0, 8, 1]);
    await expect(maybeGunzip(plain, "f")).resolves.toBe(plain);
  });
});
