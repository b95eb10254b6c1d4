import { createHash } from "node:crypto";
import { type ModelSpecInput, ModelSpecSchema } from "@tributary/protocol";

/**
 * Test support (not part of the package): a second implementation of deterministic inference, written from the
 * format's description (docs/architecture.md, "Deterministic inference") without the package's code. It is slow
 * and plain on purpose: BigInt for every number, nested loops in the order of the formulas, float values taken apart
 * bit by bit for exact rounding, the canonical bytes written with Buffer and hashed with node:crypto.
 */

interface Tensor {
  readonly shape: number[];
  readonly data: bigint[];
}

const ACT_MAX = 2n ** 23n - 1n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** x = m · 2^e exactly, from the float64 bits. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = exponent === 0 ? fraction : fraction | (1n << 52n);
  return { m: bits >> 63n === 1n ? -m : m, e: exponent === 0 ? -1074 : exponent - 1075 };
}

/** ⌊x · 2^bits + 1/2⌋, exactly. */
export function roundScaled(x: number, bits: number): bigint {
  const { m, e } = decompose(x);
  const k = e + bits;
  if (k >= 0) return m << BigInt(k);
  return floorDiv(2n * m + (1n << BigInt(-k)), 1n << BigInt(1 - k));
}

const clamp = (v: bigint) => (v > ACT_MAX ? ACT_MAX : v < -ACT_MAX ? -ACT_MAX : v);

function window(n: number, k: number, s: number, padding: "valid" | "same") {
  if (padding === "valid") return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max(0, (out - 1) * s + k - n) / 2) };
}

class Bytes {
  readonly parts: Buffer[] = [];
  ascii(text: string) {
    this.parts.push(Buffer.from(text, "ascii"));
  }
  u8(v: number) {
    this.parts.push(Buffer.from([v]));
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.parts.push(b);
  }
  i16(v: bigint) {
    const b = Buffer.alloc(2);
    b.writeInt16LE(Number(v));
    this.parts.push(b);
  }
  i32(v: bigint) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(Number(v));
    this.parts.push(b);
  }
  i64(v: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    this.parts.push(b);
  }
  raw(b: Buffer) {
    this.parts.push(b);
  }
  sha256(): Buffer {
    return createHash("sha256").update(Buffer.concat(this.parts)).digest();
  }
}

type Step = (x: Tensor) => Tensor;

export interface ReferenceResult {
  readonly modelHash: string;
  readonly requestHash: string;
  readonly responseHash: string;
  readonly inputs: bigint[];
  readonly logits: bigint[];
}

/**
 * Quantises `spec` with `weights` (F_W per layer: the largest ≤ 30 with every weight within ±32,767 and every bias
 * within ±2^51 at F_A + F_W bits), runs it on `examples` float32 inputs and returns the three hashes and the logits.
 */
export function referenceInference(
  specInput: ModelSpecInput,
  weights: Float32Array,
  examples: Float32Array,
  activationBits = 12,
): ReferenceResult {
  const spec = ModelSpecSchema.parse(specInput);
  const model = new Bytes();
  const steps: Step[] = [];
  let shape = [...spec.inputShape];
  let offset = 0;
  const take = (n: number) => {
    const values = Array.from(weights.subarray(offset, offset + n));
    offset += n;
    return values;
  };
  const quantiseLayer = (kernelSize: number, outputs: number, useBias: boolean) => {
    const kernel = take(kernelSize);
    const bias = useBias ? take(outputs) : new Array<number>(outputs).fill(0);
    const maxW = kernel.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
    const maxB = bias.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
    let bits = 30;
    while (roundScaled(maxW, bits) > 32767n || roundScaled(maxB, bits + activationBits) > 2n ** 51n) bits--;
    if (bits < 0) throw new Error("reference: weights out of range");
    return {
      bits,
      k: kernel.map((w) => roundScaled(w, bits)),
      b: bias.map((v) => roundScaled(v, bits + activationBits)),
    };
  };
  const rescale = (acc: bigint, bits: number, relu: boolean) => {
    const v = clamp(bits === 0 ? acc : floorDiv(acc + (1n << BigInt(bits - 1)), 1n << BigInt(bits)));
    return relu && v < 0n ? 0n : v;
  };
  const activation = (name: string) => {
    if (name === "relu") return true;
    if (name === "linear" || name === "softmax") return false;
    throw new Error(`reference: activation ${name}`);
  };
  let layerCount = 0;
  const layerBytes = new Bytes();

  spec.layers.forEach((layer) => {
    if (layer.type === "dense") {
      const inputs = shape[shape.length - 1] as number;
      const units = layer.units;
      const q = quantiseLayer(inputs * units, units, layer.useBias);
      const relu = activation(layer.activation);
      layerCount++;
      layerBytes.u8(1);
      layerBytes.u32(inputs);
      layerBytes.u32(units);
      layerBytes.u8(relu ? 1 : 0);
      layerBytes.u8(q.bits);
      for (const w of q.k) layerBytes.i16(w);
      for (const b of q.b) layerBytes.i64(b);
      const outShape = [...shape.slice(0, -1), units];
      steps.push((x) => {
        const positions = x.data.length / inputs;
        const data: bigint[] = [];
        for (let p = 0; p < positions; p++) {
          for (let j = 0; j < units; j++) {
            let acc = q.b[j] as bigint;
            for (let i = 0; i < inputs; i++) acc += (x.data[p * inputs + i] as bigint) * (q.k[i * units + j] as bigint);
            data.push(rescale(acc, q.bits, relu));
          }
        }
        return { shape: outShape, data };
      });
      shape = outShape;
    } else if (layer.type === "conv2d" || layer.type === "maxPool2d") {
      const [h, w, c] = shape as [number, number, number];
      const [kh, kw] = layer.type === "conv2d" ? layer.kernelSize : layer.poolSize;
      const [sh, sw] = layer.type === "conv2d" ? layer.strides : (layer.strides ?? layer.poolSize);
      const rows = window(h, kh, sh, layer.padding);
      const cols = window(w, kw, sw, layer.padding);
      layerCount++;
      layerBytes.u8(layer.type === "conv2d" ? 2 : 3);
      for (const v of [kh, kw, sh, sw]) layerBytes.u32(v);
      layerBytes.u8(layer.padding === "same" ? 1 : 0);
      if (layer.type === "maxPool2d") {
        const outShape = [rows.out, cols.out, c];
        steps.push((x) => {
          const data: bigint[] = [];
          for (let oy = 0; oy < rows.out; oy++)
            for (let ox = 0; ox < cols.out; ox++)
              for (let ch = 0; ch < c; ch++) {
                let best: bigint | undefined;
                for (let dy = 0; dy < kh; dy++)
                  for (let dx = 0; dx < kw; dx++) {
                    const y = oy * sh - rows.before + dy;
                    const xx = ox * sw - cols.before + dx;
                    if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                    const v = x.data[(y * w + xx) * c + ch] as bigint;
                    if (best === undefined || v > best) best = v;
                  }
                data.push(best as bigint);
              }
          return { shape: outShape, data };
        });
        shape = outShape;
        return;
      }
      const filters = layer.filters;
      const q = quantiseLayer(kh * kw * c * filters, filters, layer.useBias);
      const relu = activation(layer.activation);
      layerBytes.u32(c);
      layerBytes.u32(filters);
      layerBytes.u8(relu ? 1 : 0);
      layerBytes.u8(q.bits);
      for (const v of q.k) layerBytes.i16(v);
      for (const b of q.b) layerBytes.i64(b);
      const outShape = [rows.out, cols.out, filters];
      steps.push((x) => {
        const data: bigint[] = [];
        for (let oy = 0; oy < rows.out; oy++)
          for (let ox = 0; ox < cols.out; ox++)
            for (let f = 0; f < filters; f++) {
              let acc = q.b[f] as bigint;
              for (let dy = 0; dy < kh; dy++)
                for (let dx = 0; dx < kw; dx++)
                  for (let ch = 0; ch < c; ch++) {
                    const y = oy * sh - rows.before + dy;
                    const xx = ox * sw - cols.before + dx;
                    if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                    acc +=
                      (x.data[(y * w + xx) * c + ch] as bigint) *
                      (q.k[((dy * kw + dx) * c + ch) * filters + f] as bigint);
                  }
              data.push(rescale(acc, q.bits, relu));
            }
        return { shape: outShape, data };
      });
      shape = outShape;
    } else if (layer.type === "flatten") {
      layerCount++;
      layerBytes.u8(5);
      shape = [shape.reduce((a, b) => a * b, 1)];
      const outShape = shape;
      steps.push((x) => ({ shape: outShape, data: x.data }));
    } else if (layer.type === "activation" && layer.activation === "relu") {
      layerCount++;
      layerBytes.u8(4);
      steps.push((x) => ({ shape: x.shape, data: x.data.map((v) => (v < 0n ? 0n : v)) }));
    } else if (layer.type === "activation") {
      activation(layer.activation);
    }
  });

  model.ascii("TDIM");
  model.u8(1);
  model.u8(activationBits);
  model.u8(spec.inputShape.length);
  model.u8(layerCount);
  for (const dim of spec.inputShape) model.u32(dim);
  for (const part of layerBytes.parts) model.raw(part);
  const modelHash = model.sha256();

  const inputSize = spec.inputShape.reduce((a, b) => a * b, 1);
  const count = examples.length / inputSize;
  const inputs = Array.from(examples, (x) => clamp(roundScaled(x, activationBits)));
  const logits: bigint[] = [];
  let outputSize = 0;
  for (let e = 0; e < count; e++) {
    let x: Tensor = { shape: [...spec.inputShape], data: inputs.slice(e * inputSize, (e + 1) * inputSize) };
    for (const step of steps) x = step(x);
    outputSize = x.data.length;
    logits.push(...x.data);
  }
  const request = new Bytes();
  request.ascii("TDIQ");
  request.u8(1);
  request.raw(modelHash);
  request.u32(count);
  request.u32(inputSize);
  for (const v of inputs) request.i32(v);
  const requestHash = request.sha256();
  const response = new Bytes();
  response.ascii("TDIR");
  response.u8(1);
  response.raw(requestHash);
  response.u32(count);
  response.u32(outputSize);
  for (const v of logits) response.i32(v);
  const hex = (b: Buffer) => `0x${b.toString("hex")}`;
  return {
    modelHash: hex(modelHash),
    requestHash: hex(requestHash),
    responseHash: hex(response.sha256()),
    inputs,
    logits,
  };
}
