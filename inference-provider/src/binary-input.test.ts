import { describe, expect, it } from "vitest";
import { binaryInput } from "./binary-input.js";

const REQUEST_ID = `0x${"ab".repeat(32)}`;
const headers = (shape: string) => ({ "x-tributary-request-id": REQUEST_ID, "x-tributary-input-shape": shape });

/** `values` as little-endian float32 bytes starting `offset` bytes into a larger buffer, written with a DataView. */
function bodyAt(values: readonly number[], offset: number): Uint8Array {
  const buffer = new ArrayBuffer(offset + values.length * 4 + 3);
  const view = new DataView(buffer);
  for (const [index, value] of values.entries()) view.setFloat32(offset + index * 4, value, true);
  return new Uint8Array(buffer, offset, values.length * 4);
}

describe("binaryInput", () => {
  const values = [0.5, -1.25, 2, 1e-3, 3.4e38, -7];

  it("reads the same float32 values from a body at any byte offset, aligned or not", () => {
    for (const offset of [0, 1, 2, 3, 4, 7]) {
      const request = binaryInput(headers("2,3"), bodyAt(values, offset), [3], 4);
      expect(Array.from(request.input)).toEqual(values.map(Math.fround));
      expect(request).toMatchObject({ count: 2, requestId: REQUEST_ID, payment: undefined });
    }
  });

  it("names the first value that is not finite by its place in the examples", () => {
    const bad = [...values];
    bad[4] = Number.POSITIVE_INFINITY;
    expect(() => binaryInput(headers("1,2,3"), bodyAt(bad, 1), [2, 3], 4)).toThrow(/inputs\[0\]\[1\]\[1\] is Infinity/);
  });
});
