import { createHash } from "node:crypto";
import type { Bytes32 } from "@tributary/protocol";
import { describe, expect, it } from "vitest";
import { DeterministicInputError, QuantisedModelError } from "./deterministic-errors.js";
import {
  deterministicRequestHash,
  deterministicResponseHash,
  requestBytes,
  responseBytes,
} from "./inference-hashes.js";
import { decodeQuantisedModel, encodeQuantisedModel } from "./model-bytes.js";
import type { QuantisedModel } from "./quantised-model.js";

const TINY: QuantisedModel = {
  activationFractionBits: 12,
  inputShape: [2, 2, 1],
  layers: [
    {
      op: "conv2d",
      kernelSize: [1, 1],
      strides: [1, 1],
      padding: "valid",
      inChannels: 1,
      filters: 1,
      relu: true,
      weightFractionBits: 3,
      kernel: Int16Array.from([-2]),
      bias: Float64Array.from([5]),
    },
    { op: "maxPool2d", poolSize: [2, 2], strides: [2, 2], padding: "same" },
    { op: "flatten" },
    { op: "relu" },
    {
      op: "dense",
      inputs: 1,
      units: 2,
      relu: false,
      weightFractionBits: 0,
      kernel: Int16Array.from([1, -1]),
      bias: Float64Array.from([-1, 2 ** 40]),
    },
  ],
};

/** TINY's bytes, written out by hand from the layout in model-bytes.ts. */
const TINY_HEX = [
  "5444494d", // "TDIM"
  "01", // version
  "0c", // F_A = 12
  "03", // rank
  "05", // layers
  "02000000",
  "02000000",
  "01000000", // input shape 2, 2, 1
  "02",
  "01000000",
  "01000000",
  "01000000",
  "01000000",
  "00", // conv2d 1×1, strides 1, 1, valid
  "01000000",
  "01000000",
  "01",
  "03", // in 1, filters 1, relu, F_W 3
  "feff", // kernel −2
  "0500000000000000", // bias 5
  "03",
  "02000000",
  "02000000",
  "02000000",
  "02000000",
  "01", // maxPool2d 2×2, strides 2, 2, same
  "05", // flatten
  "04", // relu
  "01",
  "01000000",
  "02000000",
  "00",
  "00", // dense 1 → 2, no relu, F_W 0
  "0100",
  "ffff", // kernel 1, −1
  "ffffffffffffffff",
  "0000000000010000", // bias −1, 2^40
].join("");

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("the canonical bytes of a quantised model", () => {
  it("are exactly the documented layout, and decode back to the same model", () => {
    const bytes = encodeQuantisedModel(TINY);
    expect(hex(bytes)).toBe(TINY_HEX);
    expect(decodeQuantisedModel(bytes)).toEqual(TINY);
  });

  it("refuse every other byte string: another magic or version, truncation, trailing bytes, unknown codes, ranges", () => {
    const valid = Buffer.from(TINY_HEX, "hex");
    const tampered = (at: number, value: number) => {
      const copy = Uint8Array.from(valid);
      copy[at] = value;
      return copy;
    };
    const convRelu = 4 + 4 + 12 + 1 + 16 + 1 + 8;
    const cases: [string, Uint8Array][] = [
      ["magic", tampered(0, 0x55)],
      ["version", tampered(4, 2)],
      ["F_A over 16", tampered(5, 17)],
      ["truncated", valid.subarray(0, valid.length - 1)],
      ["trailing", Buffer.concat([valid, Buffer.from([0])])],
      ["unknown op", tampered(20, 9)],
      ["relu flag 2", tampered(convRelu, 2)],
      ["F_W over 30", tampered(convRelu + 1, 31)],
      ["padding 2", tampered(20 + 17, 2)],
      [
        "kernel −32768",
        Buffer.concat([valid.subarray(0, convRelu + 2), Buffer.from("0080", "hex"), valid.subarray(convRelu + 4)]),
      ],
      ["input shape 3 × 2", tampered(8, 3)],
    ];
    for (const [name, bytes] of cases) {
      expect(() => decodeQuantisedModel(bytes), name).toThrow(QuantisedModelError);
    }
    const tooLargeBias = Uint8Array.from(valid);
    new DataView(tooLargeBias.buffer).setBigInt64(valid.length - 8, 2n ** 51n + 1n, true);
    expect(() => decodeQuantisedModel(tooLargeBias)).toThrow(/outside ±2\^51/);
  });

  it("are refused for a model that breaks the format (a kernel of the wrong length)", () => {
    const broken = { ...TINY, layers: [{ ...(TINY.layers[0] as object), kernel: Int16Array.from([1, 2]) }] };
    expect(() => encodeQuantisedModel(broken as unknown as QuantisedModel)).toThrow(QuantisedModelError);
  });
});

describe("the canonical bytes of a request and a response", () => {
  const modelHash = `0x${"11".repeat(32)}` as Bytes32;
  const sha = (h: string) => `0x${createHash("sha256").update(Buffer.from(h, "hex")).digest("hex")}`;

  it("request: TDIQ, version, model hash, count, size, int32 inputs; its hash is their SHA-256", () => {
    const inputs = Int32Array.from([1, -1, 256, 0]);
    const expected = `54444951${"01"}${"11".repeat(32)}${"02000000"}${"02000000"}01000000ffffffff0001000000000000`;
    expect(hex(requestBytes(modelHash, 2, inputs))).toBe(expected);
    expect(deterministicRequestHash(modelHash, 2, inputs)).toBe(sha(expected));
  });

  it("response: TDIR, version, request hash, count, size, int32 logits", () => {
    const logits = Int32Array.from([-2, 3, 8388607]);
    const expected = `54444952${"01"}${"11".repeat(32)}${"01000000"}${"03000000"}feffffff03000000ffff7f00`;
    expect(hex(responseBytes(modelHash, 3, logits))).toBe(expected);
    expect(deterministicResponseHash(modelHash, 3, logits)).toBe(sha(expected));
  });

  it("refuse values that are not whole rows", () => {
    expect(() => requestBytes(modelHash, 3, Int32Array.from([1, 2]))).toThrow(DeterministicInputError);
    expect(() => responseBytes(modelHash, 2, new Int32Array(0))).toThrow(DeterministicInputError);
  });
});
