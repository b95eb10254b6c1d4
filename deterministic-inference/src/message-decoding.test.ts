import type { Bytes32 } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { DeterministicInputError } from "./deterministic-errors.js";
import { decodeRequestBytes, decodeResponseBytes } from "./message-decoding.js";

// The bytes below are written out by hand from the layout in inference-hashes.ts (as model-bytes.test.ts does).
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const REQUEST_HEX = `54444951${"01"}${"11".repeat(32)}${"02000000"}${"02000000"}01000000ffffffff0001000000000000`;
const RESPONSE_HEX = `54444952${"01"}${"22".repeat(32)}${"01000000"}${"03000000"}feffffff03000000ffff7f00`;

describe("decoding the canonical bytes of a request and a response", () => {
  it("reads a request's model hash, rows and int32 inputs", () => {
    const decoded = decodeRequestBytes(fromHex(REQUEST_HEX));
    expect(decoded).toEqual({
      modelHash: `0x${"11".repeat(32)}` as Bytes32,
      count: 2,
      inputSize: 2,
      inputs: Int32Array.from([1, -1, 256, 0]),
    });
  });

  it("reads a response's request hash, rows and int32 logits (a view at an offset too)", () => {
    const padded = fromHex(`ff${RESPONSE_HEX}`).subarray(1);
    expect(decodeResponseBytes(padded)).toEqual({
      requestHash: `0x${"22".repeat(32)}` as Bytes32,
      count: 1,
      outputSize: 3,
      logits: Int32Array.from([-2, 3, 8388607]),
    });
  });

  it("refuses a response as a request, a wrong version, a truncated or padded body and zero rows", () => {
    const request = fromHex(REQUEST_HEX);
    const cases: [string, Uint8Array][] = [
      ["a response", fromHex(RESPONSE_HEX)],
      ["version 2", Uint8Array.from(request).fill(2, 4, 5)],
      ["truncated", request.subarray(0, request.length - 1)],
      ["padded", fromHex(`${REQUEST_HEX}00`)],
      ["header only", request.subarray(0, 20)],
      ["zero rows", fromHex(`54444951${"01"}${"11".repeat(32)}${"00000000"}${"02000000"}`)],
    ];
    for (const [name, bytes] of cases) expect(() => decodeRequestBytes(bytes), name).toThrow(DeterministicInputError);
  });
});
