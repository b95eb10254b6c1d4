/**
 * A zero-filled Float32Array backed by its own SharedArrayBuffer, garbage-collected like any array. Helper
 * threads can read it, so `fedAvg` splits large aggregations of such vectors across cores (each thread still
 * copies cache blocks into its kernel; vectors from an `UpdatePool` avoid even that).
 */
export function createSharedVector(length: number): Float32Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`createSharedVector: bad length ${length}`);
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** True when the vector's memory is a SharedArrayBuffer (readable from worker threads without a copy). */
export function isSharedVector(vector: Float32Array): boolean {
  return Object.prototype.toString.call(vector.buffer) === "[object SharedArrayBuffer]";
}
