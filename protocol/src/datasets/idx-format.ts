import { DatasetFormatError } from "./dataset-format-error.js";

/**
 * The IDX format of the MNIST family: two zero bytes, a type code, the number of dimensions, then each
 * dimension as a big-endian uint32, then the values big-endian, row-major. Files may be gzipped.
 */
export const IDX_TYPES = {
  8: { name: "ubyte", bytes: 1 },
  9: { name: "sbyte", bytes: 1 },
  11: { name: "int16", bytes: 2 },
  12: { name: "int32", bytes: 4 },
  13: { name: "float32", bytes: 4 },
  14: { name: "float64", bytes: 8 },
} as const;
export type IdxTypeCode = keyof typeof IDX_TYPES;

export interface IdxArray {
  readonly type: IdxTypeCode;
  readonly dims: readonly number[];
  /** The values in file order, as numbers (integers for the integer types). */
  readonly values: Float32Array | Int32Array;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * The file's bytes, gunzipped when they start with the gzip magic number. Uses the WHATWG `DecompressionStream`,
 * which Node (≥ 18) and browsers both have, so the trainer and the portal read a `.gz` file with the same code.
 */
export async function maybeGunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new DatasetFormatError(file, `corrupt gzip stream (${reason})`);
  }
}

function isTypeCode(code: number): code is IdxTypeCode {
  return Object.hasOwn(IDX_TYPES, code);
}

/** Parses one (already gunzipped) IDX file, checking the magic number, header and exact data length. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new DatasetFormatError(file, `file is ${bytes.length} bytes, shorter than an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const typeCode = bytes[2] ?? 0;
  const ndims = bytes[3] ?? 0;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !isTypeCode(typeCode) || ndims === 0) {
    const magic = `0x${view.getUint32(0).toString(16).padStart(8, "0")}`;
    throw new DatasetFormatError(file, `bad IDX magic number ${magic} (expected 0x0000TTNN: type TT, NN dimensions)`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DatasetFormatError(file, `truncated header: ${ndims} dimensions need ${headerBytes} bytes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const { bytes: size } = IDX_TYPES[typeCode];
  const count = dims.reduce((product, dim) => product * dim, 1);
  const expected = headerBytes + count * size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? "truncated" : "trailing bytes";
    throw new DatasetFormatError(
      file,
      `${what}: dimensions [${dims.join(", ")}] need ${expected} bytes, the file has ${bytes.length}`,
    );
  }
  return { type: typeCode, dims, values: readValues(view, headerBytes, count, typeCode) };
}

function readValues(view: DataView, start: number, count: number, type: IdxTypeCode): Float32Array | Int32Array {
  switch (type) {
    case 0x08:
      return Int32Array.from(new Uint8Array(view.buffer, view.byteOffset + start, count));
    case 0x09:
      return Int32Array.from(new Int8Array(view.buffer, view.byteOffset + start, count));
    case 0x0b: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i);
      return out;
    }
    case 0x0c: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i);
      return out;
    }
    case 0x0d: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i);
      return out;
    }
    case 0x0e: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i);
      return out;
    }
  }
}
