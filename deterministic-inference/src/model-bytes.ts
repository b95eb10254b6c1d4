import { QuantisedModelError } from "./deterministic-errors.js";
import { planModel } from "./model-plan.js";
import type { QuantisedLayer, QuantisedModel, WindowPadding } from "./quantised-model.js";

/**
 * The canonical bytes of a quantised model, which its `modelHash` (SHA-256) commits to. Little-endian throughout:
 *
 * ```
 * "TDIM"                 4 bytes, ASCII
 * version                u8 = 1
 * F_A                    u8 (activation fractional bits)
 * rank                   u8 (1–4), then rank × u32: the input shape
 * layers                 u8 (1–255), then each layer: op u8, then
 *   1 dense              u32 inputs, u32 units, u8 relu (0|1), u8 F_W,
 *                        inputs·units × i16 kernel ([inputs, units] row-major), units × i64 bias
 *   2 conv2d             u32 kh, u32 kw, u32 strideH, u32 strideW, u8 padding (0 valid | 1 same), u32 inChannels,
 *                        u32 filters, u8 relu, u8 F_W, kh·kw·inChannels·filters × i16 kernel ([kh, kw, in, filters]
 *                        row-major), filters × i64 bias
 *   3 maxPool2d          u32 poolH, u32 poolW, u32 strideH, u32 strideW, u8 padding
 *   4 relu               (nothing)
 *   5 flatten            (nothing)
 * ```
 *
 * Every field is fixed by the model, so a model has exactly one encoding; `decodeQuantisedModel` refuses anything
 * else (unknown op, a flag not 0 or 1, trailing bytes) as well as a model that breaks the format.
 */
export const MODEL_MAGIC = "TDIM";
export const MODEL_FORMAT_VERSION = 1;

const OPS = { dense: 1, conv2d: 2, maxPool2d: 3, relu: 4, flatten: 5 } as const;
const PADDINGS: readonly WindowPadding[] = ["valid", "same"];

function layerBytes(layer: QuantisedLayer): number {
  switch (layer.op) {
    case "dense":
      return 1 + 8 + 2 + layer.kernel.length * 2 + layer.bias.length * 8;
    case "conv2d":
      return 1 + 16 + 1 + 8 + 2 + layer.kernel.length * 2 + layer.bias.length * 8;
    case "maxPool2d":
      return 1 + 16 + 1;
    case "relu":
    case "flatten":
      return 1;
  }
}

class ByteWriter {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  u8(value: number) {
    this.#view.setUint8(this.#at, value);
    this.#at += 1;
  }
  u32(value: number) {
    this.#view.setUint32(this.#at, value, true);
    this.#at += 4;
  }
  i16s(values: Int16Array) {
    for (let i = 0; i < values.length; i++) this.#view.setInt16(this.#at + i * 2, values[i] as number, true);
    this.#at += values.length * 2;
  }
  i64s(values: Float64Array) {
    for (let i = 0; i < values.length; i++) this.#view.setBigInt64(this.#at + i * 8, BigInt(values[i] as number), true);
    this.#at += values.length * 8;
  }
}

/** The canonical bytes of a model (checked first with `planModel`: `QuantisedModelError` if it breaks the format). */
export function encodeQuantisedModel(model: QuantisedModel): Uint8Array {
  planModel(model);
  const size = 8 + model.inputShape.length * 4 + model.layers.reduce((total, layer) => total + layerBytes(layer), 0);
  const out = new ByteWriter(size);
  for (const char of MODEL_MAGIC) out.u8(char.charCodeAt(0));
  out.u8(MODEL_FORMAT_VERSION);
  out.u8(model.activationFractionBits);
  out.u8(model.inputShape.length);
  out.u8(model.layers.length);
  for (const dim of model.inputShape) out.u32(dim);
  for (const layer of model.layers) {
    out.u8(OPS[layer.op]);
    if (layer.op === "maxPool2d" || layer.op === "conv2d") {
      const window = layer.op === "conv2d" ? layer.kernelSize : layer.poolSize;
      for (const value of [...window, ...layer.strides]) out.u32(value);
      out.u8(PADDINGS.indexOf(layer.padding));
    }
    if (layer.op === "dense" || layer.op === "conv2d") {
      if (layer.op === "dense") {
        out.u32(layer.inputs);
        out.u32(layer.units);
      } else {
        out.u32(layer.inChannels);
        out.u32(layer.filters);
      }
      out.u8(layer.relu ? 1 : 0);
      out.u8(layer.weightFractionBits);
      out.i16s(layer.kernel);
      out.i64s(layer.bias);
    }
  }
  return out.bytes;
}

class ByteReader {
  readonly #view: DataView;
  #at = 0;
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#view.byteLength - this.#at;
  }
  #need(count: number, what: string) {
    if (count > this.remaining) {
      throw new QuantisedModelError(`the bytes end inside ${what} (${count} bytes needed at offset ${this.#at})`);
    }
  }
  u8(what: string): number {
    this.#need(1, what);
    return this.#view.getUint8(this.#at++);
  }
  flag(what: string): boolean {
    const value = this.u8(what);
    if (value > 1) throw new QuantisedModelError(`${what} must be 0 or 1, got ${value}`);
    return value === 1;
  }
  u32(what: string): number {
    this.#need(4, what);
    const value = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return value;
  }
  i16s(count: number, what: string): Int16Array {
    this.#need(count * 2, what);
    const values = new Int16Array(count);
    for (let i = 0; i < count; i++) values[i] = this.#view.getInt16(this.#at + i * 2, true);
    this.#at += count * 2;
    return values;
  }
  i64s(count: number, what: string): Float64Array {
    this.#need(count * 8, what);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const value = this.#view.getBigInt64(this.#at + i * 8, true);
      if (value > 2n ** 51n || value < -(2n ** 51n)) throw new QuantisedModelError(`${what}[${i}] is outside ±2^51`);
      values[i] = Number(value);
    }
    this.#at += count * 8;
    return values;
  }
}

function readLayer(input: ByteReader, index: number): QuantisedLayer {
  const op = input.u8(`layer ${index}'s op`);
  const where = `layer ${index}`;
  if (op === OPS.relu) return { op: "relu" };
  if (op === OPS.flatten) return { op: "flatten" };
  if (op !== OPS.dense && op !== OPS.conv2d && op !== OPS.maxPool2d) {
    throw new QuantisedModelError(`${where} has an unknown op ${op}`, { index, op });
  }
  if (op === OPS.dense) {
    const inputs = input.u32(where);
    const units = input.u32(where);
    const relu = input.flag(`${where}'s relu`);
    const weightFractionBits = input.u8(where);
    const kernel = input.i16s(inputs * units, `${where}'s kernel`);
    const bias = input.i64s(units, `${where}'s bias`);
    return { op: "dense", inputs, units, relu, weightFractionBits, kernel, bias };
  }
  const window: [number, number] = [input.u32(where), input.u32(where)];
  const strides: [number, number] = [input.u32(where), input.u32(where)];
  const paddingCode = input.u8(where);
  const padding = PADDINGS[paddingCode];
  if (padding === undefined) throw new QuantisedModelError(`${where}'s padding must be 0 or 1, got ${paddingCode}`);
  if (op === OPS.maxPool2d) return { op: "maxPool2d", poolSize: window, strides, padding };
  const inChannels = input.u32(where);
  const filters = input.u32(where);
  const relu = input.flag(`${where}'s relu`);
  const weightFractionBits = input.u8(where);
  const kernel = input.i16s(window[0] * window[1] * inChannels * filters, `${where}'s kernel`);
  const bias = input.i64s(filters, `${where}'s bias`);
  return {
    op: "conv2d",
    kernelSize: window,
    strides,
    padding,
    inChannels,
    filters,
    relu,
    weightFractionBits,
    kernel,
    bias,
  };
}

/**
 * A model from its canonical bytes (`encodeQuantisedModel`), checked: `QuantisedModelError` for bytes that are not
 * exactly one valid model's encoding.
 */
export function decodeQuantisedModel(bytes: Uint8Array): QuantisedModel {
  const input = new ByteReader(bytes);
  const magic = String.fromCharCode(...[0, 1, 2, 3].map(() => input.u8("the magic")));
  if (magic !== MODEL_MAGIC) throw new QuantisedModelError(`the bytes do not start with "${MODEL_MAGIC}"`);
  const version = input.u8("the version");
  if (version !== MODEL_FORMAT_VERSION) throw new QuantisedModelError(`format version ${version} is not known`);
  const activationFractionBits = input.u8("F_A");
  const rank = input.u8("the input rank");
  const count = input.u8("the layer count");
  const inputShape = Array.from({ length: rank }, () => input.u32("the input shape"));
  const layers = Array.from({ length: count }, (_, index) => readLayer(input, index));
  if (input.remaining !== 0) throw new QuantisedModelError(`${input.remaining} bytes follow the last layer`);
  const model: QuantisedModel = { activationFractionBits, inputShape, layers };
  planModel(model);
  return model;
}
