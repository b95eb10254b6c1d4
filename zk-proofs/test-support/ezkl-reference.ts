// An independent reference for the EZKL test vectors: the model in `network.onnx` read straight from its protobuf
// bytes (no ONNX library, no EZKL), evaluated in float and in fixed point the way EZKL quantises at scale s.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The EZKL test vectors, copied unchanged from the EZKL project (see their README). */
export const EZKL_VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test/vectors/ezkl");

/** The SHA-256 of each vector file, as its README lists it. */
export function ezklVectorDigests(): Record<string, string> {
  const readme = readFileSync(path.join(EZKL_VECTORS, "README.md"), "utf8");
  return Object.fromEntries([...readme.matchAll(/^\| `([^`]+)` \| `([0-9a-f]{64})` \|/gm)].map((m) => [m[1], m[2]]));
}

export function sha256File(file: string): string {
  return createHash("sha256")
    .update(readFileSync(path.join(EZKL_VECTORS, file)))
    .digest("hex");
}

/** Reads a protobuf varint at `at`; returns the value and the offset after it. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

/** The fields of one protobuf message: field number → its length-delimited payloads (other wire types skipped). */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const found = new Map<number, Uint8Array[]>();
  let at = 0;
  while (at < bytes.length) {
    const [key, next] = varint(bytes, at);
    at = next;
    const wire = key & 7;
    if (wire === 0) at = varint(bytes, at)[1];
    else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else if (wire === 2) {
      const [length, start] = varint(bytes, at);
      const list = found.get(key >> 3) ?? [];
      list.push(bytes.subarray(start, start + length));
      found.set(key >> 3, list);
      at = start + length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return found;
}

/** The float initializers of an ONNX model (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.name = 8, raw_data = 9). */
export function onnxInitializers(file: string): Map<string, Float32Array> {
  const model = new Uint8Array(readFileSync(path.join(EZKL_VECTORS, file)));
  const graph = fields(model).get(7)?.[0] ?? new Uint8Array();
  const tensors = new Map<string, Float32Array>();
  for (const tensor of fields(graph).get(5) ?? []) {
    const parts = fields(tensor);
    const name = new TextDecoder().decode(parts.get(8)?.[0]);
    const raw = parts.get(9)?.[0] ?? new Uint8Array();
    tensors.set(name, new Float32Array(raw.slice().buffer));
  }
  return tensors;
}

/** Round half away from zero, as Rust's `f64::round` (EZKL's quantisation). */
function round(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/**
 * The test model, `relu(x · Wᵀ + b)` (ONNX Gemm with transB, then Relu), in float64 when `scale` is undefined,
 * else in fixed point as EZKL computes it with input and parameter scale `scale`: x and W quantised at `scale`, b
 * at `2·scale`, the integer result read at `2·scale`.
 */
export function referenceOutput(input: readonly number[], scale?: number): number[] {
  const tensors = onnxInitializers("network.onnx");
  const weight = tensors.get("dense.weight");
  const bias = tensors.get("dense.bias");
  if (weight === undefined || bias === undefined) throw new Error("network.onnx: dense.weight or dense.bias missing");
  const q = (value: number, s: number) => (scale === undefined ? value : round(value * 2 ** s));
  const s = scale ?? 0;
  return Array.from(bias, (b, row) => {
    const sum = input.reduce((acc, x, col) => acc + q(x, s) * q(weight[row * input.length + col] ?? 0, s), q(b, 2 * s));
    return Math.max(0, sum) / (scale === undefined ? 1 : 2 ** (2 * s));
  });
}
