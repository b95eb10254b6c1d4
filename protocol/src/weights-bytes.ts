/**
 * Model weights and updates travel as raw little-endian float32 bytes (binary socket.io attachments or HTTP
 * bodies, never base64).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a Float32Array as little-endian float32 (no copy on little-endian machines). */
export function weightsToBytes(weights: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const bytes = new Uint8Array(weights.length * 4);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < weights.length; index++) view.setFloat32(index * 4, weights[index] as number, true);
  return bytes;
}

/**
 * Reads little-endian float32 bytes. Always copies: a received Buffer may start at an offset that is not a
 * multiple of 4, and the caller must own the result. Throws `RangeError` when the length is not a multiple of 4.
 */
export function bytesToWeights(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new RangeError(`weights need a multiple of 4 bytes, got ${bytes.byteLength}`);
  }
  const weights = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(weights.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let index = 0; index < weights.length; index++) weights[index] = view.getFloat32(index * 4, true);
  }
  return weights;
}

/**
 * The bytes as float32 weights to read only: a view of the same memory when that is possible (little-endian
 * machine, offset a multiple of 4), else a copy (`bytesToWeights`). The caller must not write to it, nor keep it
 * past the bytes' lifetime. Throws `RangeError` when the length is not a multiple of 4.
 */
export function weightsView(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  return bytesToWeights(bytes);
}
