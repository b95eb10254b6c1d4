import { AggregationInputError } from "./errors.js";
import { arenaAllocate, arenaFree, arenaView } from "./vector-arena.js";

/**
 * Receive buffers for one job's updates. With `zeroCopy`, the vectors live in the shared vector arena, where
 * `fedAvg` reads them with its SIMD kernel on every core without copying them first (the fastest path);
 * otherwise they are ordinary SharedArrayBuffers.
 *
 * Ownership is explicit, like any pool: a vector belongs to the caller from `acquire()` until `release()`, and no
 * view of it (e.g. `new Uint8Array(v.buffer, v.byteOffset, v.byteLength)`) may be used after that. `v.buffer` is
 * the whole arena: always go through `byteOffset`/`byteLength`.
 */
export interface UpdatePool {
  readonly length: number;
  readonly capacity: number;
  /** True when the vectors live in the shared vector arena. */
  readonly zeroCopy: boolean;
  /** Vectors not currently acquired. */
  readonly available: number;
  /** A zero-filled vector of `length` floats. Throws `AggregationInputError` when all are in use. */
  acquire(): Float32Array;
  /** Gives a vector from this pool back. */
  release(vector: Float32Array): void;
  /** Returns the pool's memory to the arena; every vector from it is dead afterwards. */
  dispose(): void;
}

export function createUpdatePool(length: number, capacity: number): UpdatePool {
  if (!Number.isInteger(length) || length < 1 || !Number.isInteger(capacity) || capacity < 1) {
    throw new AggregationInputError(`createUpdatePool: bad length ${length} or capacity ${capacity}`, {
      length,
      capacity,
    });
  }
  // Each slot is padded to a 64-byte multiple with at least 16 bytes of slack (kernels read whole lanes).
  const stride = Math.ceil((length * 4 + 16) / 64) * 64;
  const regionBytes = stride * capacity;
  const region = arenaAllocate(regionBytes);
  const zeroCopy = region !== null;
  const slots = Array.from({ length: capacity }, (_, index) =>
    region !== null ? arenaView(region + index * stride, length) : new Float32Array(new SharedArrayBuffer(length * 4)),
  );
  const slotOf = new Map(slots.map((slot, index) => [slot, index]));
  const free = slots.map((_, index) => capacity - 1 - index);
  const inUse = new Set<number>();
  let disposed = false;

  return {
    length,
    capacity,
    zeroCopy,
    get available(): number {
      return free.length;
    },
    acquire(): Float32Array {
      const index = disposed ? undefined : free.pop();
      if (index === undefined) {
        throw new AggregationInputError(
          disposed ? "update pool: disposed" : `update pool: all ${capacity} vectors are in use`,
          { capacity },
        );
      }
      inUse.add(index);
      const slot = slots[index] as Float32Array;
      slot.fill(0);
      return slot;
    },
    release(vector: Float32Array): void {
      const index = slotOf.get(vector);
      if (index === undefined || !inUse.has(index)) {
        throw new AggregationInputError("update pool: vector is not an acquired vector of this pool", {});
      }
      inUse.delete(index);
      free.push(index);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      free.length = 0;
      inUse.clear();
      if (region !== null) arenaFree(region, regionBytes);
    },
  };
}
