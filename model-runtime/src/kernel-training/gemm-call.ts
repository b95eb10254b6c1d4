import { Wasm, type WasmMemory } from "@tributary/protocol";
import { type GemmFunction, type GemmShape, gemmModule } from "./gemm-kernel.js";

/** A bump allocator of 64-byte-aligned regions in one WebAssembly memory, planned before the memory exists. */
export class KernelArena {
  private top = 64;
  private readonly tables: { at: number; values: Int32Array }[] = [];

  /** Reserves `floats` 4-byte slots; returns the byte address. */
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((Math.max(1, floats) * 4) / 64) * 64;
    return at;
  }

  /** Reserves an i32 table written when the memory is created; returns its byte address. */
  table(values: Int32Array): number {
    const at = this.alloc(values.length);
    this.tables.push({ at, values });
    return at;
  }

  get bytes(): number {
    return this.top;
  }

  /** Writes the tables into `memory` (after it has been created with at least `bytes` bytes). */
  writeTables(memory: WasmMemory): void {
    const heap = new Int32Array(memory.buffer);
    for (const { at, values } of this.tables) heap.set(values, at / 4);
  }
}

/**
 * Register tile width in vectors for C with `n` columns: 16 columns where `n` allows, else 8. With the k loop not
 * unrolled, small tiles keep every accumulator in a register: on the FedAvg CNN's conv forward (x86-64, V8 12)
 * 2 × 16 and 4 × 8 ran at 46–49 GFLOP/s, 6 × 8 at 34, 4 × 16 at 34 (spilled).
 */
export function columnVectors(n: number): number {
  return n % 16 === 0 ? 4 : 2;
}

/** Rows per register tile for `rows` rows of C with `n` columns: the fewest padded rows among the fast heights. */
export function tileRows(rows: number, n: number): number {
  const candidates = columnVectors(n) === 4 ? [2] : [4, 3];
  let best = candidates[0] as number;
  let waste = Number.POSITIVE_INFINITY;
  for (const mr of candidates) {
    const padded = Math.ceil(rows / mr) * mr - rows;
    if (padded < waste) {
      waste = padded;
      best = mr;
    }
  }
  return best;
}

export interface GemmPlan {
  readonly shape: GemmShape;
  /** Byte address of each output row's A row (any length; padded to whole tiles by repeating the last). */
  readonly rowBases: ArrayLike<number>;
  /** (segA, segB) byte pairs. */
  readonly segments: ArrayLike<number>;
  /** Byte address of C's first row; C must have room for the padded rows. */
  readonly c: number;
  readonly bias: number;
}

/** Padded row count of a GEMM plan's C (`rows` rounded up to whole tiles of `mr`). */
export function paddedRows(rows: number, mr: number): number {
  return Math.ceil(rows / mr) * mr;
}

/** K (summed length) per block: one block's A rows and B panel stay in L1/L2 while the tiles reuse them. */
const K_BLOCK = 256;

/**
 * A planned GEMM call: its tables are reserved in the arena, its functions bound once the memory exists. The
 * segments are cut into K blocks of about `K_BLOCK`; the first block writes C, later ones add to it, and the bias
 * and relu epilogue runs with the last.
 */
export class GemmCall {
  private readonly fns: GemmFunction[] = [];
  private readonly rows: number;
  private readonly segs: number;
  private readonly tiles: number;
  /** Segments per block, and the blocks' variants (accumulate, epilogue). */
  private readonly blockSegments: number;
  private readonly blocks: number;
  private readonly nSeg: number;

  constructor(
    arena: KernelArena,
    private readonly plan: GemmPlan,
  ) {
    const { mr, segLen } = plan.shape;
    const count = plan.rowBases.length;
    const padded = new Int32Array(paddedRows(count, mr));
    for (let i = 0; i < padded.length; i++) padded[i] = plan.rowBases[Math.min(i, count - 1)] as number;
    this.rows = arena.table(padded);
    this.segs = arena.table(Int32Array.from(plan.segments));
    this.tiles = padded.length / mr;
    this.nSeg = plan.segments.length / 2;
    this.blockSegments = Math.max(1, Math.floor(K_BLOCK / segLen));
    this.blocks = Math.ceil(this.nSeg / this.blockSegments);
  }

  bind(memory: WasmMemory): void {
    const { shape } = this.plan;
    const variant = (accumulate: boolean, epilogue: GemmShape["epilogue"]): GemmFunction => {
      const instance = new Wasm.Instance(gemmModule({ ...shape, accumulate, epilogue }), { env: { memory } });
      return instance.exports.gemm as GemmFunction;
    };
    this.fns.length = 0;
    for (let block = 0; block < this.blocks; block++) {
      const last = block === this.blocks - 1;
      this.fns.push(variant(shape.accumulate || block > 0, last ? shape.epilogue : "none"));
    }
  }

  run(): void {
    if (this.fns.length === 0) throw new Error("GemmCall.run before bind");
    const { c, bias } = this.plan;
    for (let block = 0; block < this.blocks; block++) {
      const first = block * this.blockSegments;
      const count = Math.min(this.blockSegments, this.nSeg - first);
      (this.fns[block] as GemmFunction)(this.rows, this.tiles, c, this.segs + first * 8, count, bias);
    }
  }
}
