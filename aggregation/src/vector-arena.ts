import { WASM_PAGE, Wasm, type WasmMemory } from "./wasm-runtime.js";
import { SHARED_MAXIMUM_PAGES } from "./weighted-sum-kernel.js";

/**
 * One shared WebAssembly memory per process (at most 4 GiB) from which update pools take regions. Vectors in it
 * are readable by the SIMD kernels of every thread without a copy. Regions are 64-byte aligned and carry at
 * least 16 bytes of slack, because kernels read whole 4-float lanes past a vector's end.
 */
interface ArenaState {
  readonly memory: WasmMemory;
  /** Every SharedArrayBuffer object the memory has exposed (a new one after each grow). */
  readonly buffers: WeakSet<ArrayBufferLike>;
  /** Free blocks sorted by offset, coalesced. */
  readonly free: { offset: number; size: number }[];
  /** End of the highest allocated block. */
  top: number;
}

let state: ArenaState | null | undefined;

const ALIGN = 64;
const LIMIT = SHARED_MAXIMUM_PAGES * WASM_PAGE;

function arena(): ArenaState | null {
  if (state === undefined) {
    try {
      const memory = new Wasm.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
      // Offset 0 stays unused so no region starts at the null address.
      state = { memory, buffers: new WeakSet([memory.buffer]), free: [], top: ALIGN };
    } catch {
      state = null; // no shared WebAssembly memory here: pools fall back to SharedArrayBuffers
    }
  }
  return state;
}

/** The arena's memory (created on first use), or null where shared WebAssembly memory is unavailable. */
export function arenaMemory(): WasmMemory | null {
  return arena()?.memory ?? null;
}

/** Reserves `bytes` (plus slack) and returns the byte offset, or null when the arena is full or unavailable. */
export function arenaAllocate(bytes: number): number | null {
  const current = arena();
  if (current === null) return null;
  const size = Math.ceil((bytes + 16) / ALIGN) * ALIGN;
  const index = current.free.findIndex((block) => block.size >= size);
  if (index >= 0) {
    const block = current.free[index] as { offset: number; size: number };
    const offset = block.offset;
    if (block.size === size) current.free.splice(index, 1);
    else {
      block.offset += size;
      block.size -= size;
    }
    return offset;
  }
  const offset = current.top;
  if (offset + size > LIMIT) return null;
  const needed = offset + size - current.memory.buffer.byteLength;
  if (needed > 0) {
    try {
      current.memory.grow(Math.ceil(needed / WASM_PAGE));
    } catch {
      return null;
    }
    current.buffers.add(current.memory.buffer);
  }
  current.top = offset + size;
  return offset;
}

/** Returns a region from `arenaAllocate(bytes)`. Its vectors must not be used afterwards. */
export function arenaFree(offset: number, bytes: number): void {
  const current = arena();
  if (current === null) return;
  const size = Math.ceil((bytes + 16) / ALIGN) * ALIGN;
  const free = current.free;
  let index = free.findIndex((block) => block.offset > offset);
  if (index < 0) index = free.length;
  free.splice(index, 0, { offset, size });
  // Coalesce with the next block, then with the previous one.
  const next = free[index + 1];
  if (next !== undefined && offset + size === next.offset) {
    (free[index] as { size: number }).size += next.size;
    free.splice(index + 1, 1);
  }
  const previous = free[index - 1];
  const merged = free[index] as { offset: number; size: number };
  if (previous !== undefined && previous.offset + previous.size === merged.offset) {
    previous.size += merged.size;
    free.splice(index, 1);
  }
  // A free block that ends at the top lowers the top.
  const last = free[free.length - 1];
  if (last !== undefined && last.offset + last.size === current.top) {
    current.top = last.offset;
    free.pop();
  }
}

/** A Float32Array over `length` floats at `offset` in the arena. */
export function arenaView(offset: number, length: number): Float32Array {
  const current = arena();
  if (current === null) throw new Error("vector arena unavailable");
  const buffer = current.memory.buffer;
  current.buffers.add(buffer);
  return new Float32Array(buffer, offset, length);
}

/** Byte offset of `vector` in the arena, or -1 when it lives elsewhere. */
export function arenaOffset(vector: Float32Array): number {
  return state?.buffers.has(vector.buffer) ? vector.byteOffset : -1;
}
