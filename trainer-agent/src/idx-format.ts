import { gzipSync } from "node:zlib";
import { IDX_TYPES } from "@tributary/protocol";

/** Encodes values as an IDX file of the given type (ubyte, int32 or float32), optionally gzipped. */
export function encodeIdx(
  type: 0x08 | 0x0c | 0x0d,
  dims: readonly number[],
  values: ArrayLike<number>,
  gzip = false,
): Uint8Array {
  const size = IDX_TYPES[type].bytes;
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = dims.length;
  dims.forEach((dim, i) => {
    view.setUint32(4 + 4 * i, dim);
  });
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (type === 0x08) bytes[header + i] = value;
    else if (type === 0x0c) view.setInt32(header + 4 * i, value);
    else view.setFloat32(header + 4 * i, value);
  }
  return gzip ? gzipSync(bytes) : bytes;
}
