import { maybeGunzip, parseIdx } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { encodeIdx } from "./idx-format.js";

describe("IDX format", () => {
  it("encodes what it parses, gzipped or not", async () => {
    const values = Float32Array.from([0.25, -7, 1e-3, 3]);
    for (const gzip of [false, true]) {
      const bytes = await maybeGunzip(encodeIdx(0x0d, [2, 2], values, gzip), "f");
      expect(parseIdx(bytes, "f")).toEqual({ type: 0x0d, dims: [2, 2], values });
    }
    expect(Array.from(encodeIdx(0x08, [3], [1, 2, 255]))).toEqual([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 255]);
    expect(Array.from(encodeIdx(0x0c, [1], [-2]))).toEqual([0, 0, 0x0c, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe]);
  });
});
