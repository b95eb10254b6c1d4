import { buildModule, FunctionBuilder, I32, Simd, V128, Wasm, type WasmModule } from "@tributary/protocol";

/**
 * A blocked GEMM with gathered rows, emitted as WebAssembly SIMD128 with its strides and unrolling as immediates:
 *
 *   C[r, j] (+)= Σ_s Σ_{k < segLen} A(rowBase[r] + segA[s] + k·aK) · B(segB[s] + k·bK + 4j)
 *
 * (addresses in bytes). Each output row r names the address its A row starts at (`rowBase`, an i32 table), and
 * the K dimension is a list of segments, each `segLen` long, that shift A by `segA[s]` and start B at the absolute
 * address `segB[s]`. That one shape covers every product of a CNN's training step without an im2col copy:
 * a stride-1 convolution over a zero-padded NHWC image is rows = output pixels (their window's corner), segments =
 * filter taps (kh, kw) of length C; its input gradient is the same over the padded output gradient with the filter
 * rotated; its filter gradient is rows = taps × channels, segments = image rows; dense layers are one segment.
 *
 * Register blocking: `mr` rows × 8 columns (2 v128 per row) of C stay in registers across the whole K sum; each
 * k step loads 2 vectors of B and `mr` broadcast scalars of A. With relaxed SIMD the multiply–add is
 * `f32x4.relaxed_madd` (one FMA on x86-64 with FMA3), else `f32x4.mul` + `f32x4.add`.
 */
export interface GemmShape {
  /** Rows per register tile (the row table holds a multiple of `mr` entries). */
  readonly mr: number;
  /** Columns per register tile in 4-float vectors (2: 8 columns). */
  readonly nv: number;
  /** Columns of C; a multiple of 4·nv. */
  readonly n: number;
  /** K per segment. */
  readonly segLen: number;
  /** Bytes between consecutive k of one A row. */
  readonly aK: number;
  /** Bytes between consecutive k rows of B (rows of B are contiguous over j). */
  readonly bK: number;
  /** Bytes between rows of C. */
  readonly cStride: number;
  /** C += A·B instead of C = A·B. */
  readonly accumulate: boolean;
  /** Added to the result before storing: nothing, a bias row, or a bias row then max(·, 0). */
  readonly epilogue: "none" | "bias" | "biasRelu";
  /** Loop order: column panels outside (B panel reused from L1 across row tiles) or row tiles outside. */
  readonly order: "columnsOuter" | "rowsOuter";
}

/** `gemm(rows, tiles, cBase, segs, nSeg, bias)`: all byte addresses; `segs` holds `nSeg` (segA, segB) i32 pairs. */
export type GemmFunction = (
  rows: number,
  tiles: number,
  cBase: number,
  segs: number,
  nSeg: number,
  bias: number,
) => void;

let relaxed: boolean | undefined;

/** Whether this engine validates `f32x4.relaxed_madd` (relaxed SIMD, WebAssembly 3.0). */
export function hasRelaxedSimd(): boolean {
  if (relaxed === undefined) {
    const fn = new FunctionBuilder([V128, V128, V128], [V128]);
    fn.get(0).get(1).get(2).simd(Simd.f32x4RelaxedMadd);
    relaxed = Wasm.validate(buildModule([{ name: "madd", fn }]));
  }
  return relaxed;
}

/** The largest divisor of `len` not above `most`: the k loop's unrolling. */
function unrollOf(len: number, most: number): number {
  for (let u = Math.min(len, most); u > 1; u--) if (len % u === 0) return u;
  return 1;
}

/** Emits the GEMM function for `shape` (see `GemmShape`). */
export function gemmFunction(shape: GemmShape, useRelaxed = hasRelaxedSimd()): FunctionBuilder {
  const { mr, nv, n, segLen, aK, bK, cStride } = shape;
  const nr = 4 * nv;
  if (n % nr !== 0 || n <= 0) throw new RangeError(`gemm: n must be a positive multiple of ${nr}, got ${n}`);
  if (segLen < 1 || mr < 1) throw new RangeError("gemm: segLen and mr must be positive");
  // No unrolling: V8's scheduler hoists the loads of an unrolled body above its multiply–adds and spills the
  // accumulators (seen in --print-wasm-code); one k step per iteration ran 46 against 34 GFLOP/s unrolled 8×.
  const unroll = unrollOf(segLen, 1);
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32]);
  const [ROWS, TILES, CBASE, SEGS, NSEG, BIAS] = [0, 1, 2, 3, 4, 5];
  const p = Array.from({ length: mr }, () => fn.local(I32));
  const q = Array.from({ length: mr }, () => fn.local(I32));
  const acc = Array.from({ length: mr * nv }, () => fn.local(V128));
  const bv = Array.from({ length: nv }, () => fn.local(V128));
  const a = fn.local(V128);
  const zero = fn.local(V128);
  const bp = fn.local(I32);
  const jOff = fn.local(I32);
  const t = fn.local(I32);
  const rowPtr = fn.local(I32);
  const cRow = fn.local(I32);
  const s = fn.local(I32);
  const sp = fn.local(I32);
  const k = fn.local(I32);

  fn.i32(0).simd(Simd.i32x4Splat).set(zero);

  const madd = (accLocal: number, b: number) => {
    if (useRelaxed) fn.get(a).get(b).get(accLocal).simd(Simd.f32x4RelaxedMadd).set(accLocal);
    else fn.get(a).get(b).simd(Simd.f32x4Mul).get(accLocal).simd(Simd.f32x4Add).set(accLocal);
  };

  /** One register tile: rows from rowPtr, C at cRow, columns at jOff. */
  const tile = () => {
    for (let i = 0; i < mr; i++)
      fn.get(rowPtr)
        .i32Load(4 * i)
        .set(p[i] as number);
    for (let i = 0; i < mr; i++) {
      for (let h = 0; h < nv; h++) {
        const accLocal = acc[nv * i + h] as number;
        if (shape.accumulate)
          fn.get(cRow)
            .load(i * cStride + 16 * h)
            .set(accLocal);
        else fn.get(zero).set(accLocal);
      }
    }
    fn.get(SEGS).set(sp).get(NSEG).set(s);
    fn.block().loop();
    fn.get(s).i32Eqz().brIf(1);
    for (let i = 0; i < mr; i++)
      fn.get(p[i] as number)
        .get(sp)
        .i32Load(0)
        .i32Add()
        .set(q[i] as number);
    fn.get(sp).i32Load(4).get(jOff).i32Add().set(bp);
    fn.i32(segLen / unroll).set(k);
    fn.loop();
    for (let u = 0; u < unroll; u++) {
      for (let h = 0; h < nv; h++)
        fn.get(bp)
          .load(u * bK + 16 * h)
          .set(bv[h] as number);
      for (let i = 0; i < mr; i++) {
        fn.get(q[i] as number)
          .loadSplat(u * aK)
          .set(a);
        for (let h = 0; h < nv; h++) madd(acc[nv * i + h] as number, bv[h] as number);
      }
    }
    for (let i = 0; i < mr; i++)
      fn.get(q[i] as number)
        .i32(unroll * aK)
        .i32Add()
        .set(q[i] as number);
    fn.get(bp)
      .i32(unroll * bK)
      .i32Add()
      .set(bp);
    fn.get(k).i32(1).i32Sub().tee(k).brIf(0);
    fn.end();
    fn.get(sp).i32(8).i32Add().set(sp);
    fn.get(s).i32(1).i32Sub().set(s);
    fn.br(0);
    fn.end().end();
    if (shape.epilogue !== "none") {
      for (let h = 0; h < nv; h++)
        fn.get(BIAS)
          .get(jOff)
          .i32Add()
          .load(16 * h)
          .set(bv[h] as number);
    }
    for (let i = 0; i < mr; i++) {
      for (let h = 0; h < nv; h++) {
        const accLocal = acc[nv * i + h] as number;
        fn.get(cRow);
        fn.get(accLocal);
        if (shape.epilogue !== "none") fn.get(bv[h] as number).simd(Simd.f32x4Add);
        if (shape.epilogue === "biasRelu") fn.get(zero).simd(Simd.f32x4Pmax);
        fn.store(i * cStride + 16 * h);
      }
    }
  };

  const rowLoop = (body: () => void) => {
    fn.i32(0).set(t);
    fn.block().loop();
    fn.get(t).get(TILES).i32GeU().brIf(1);
    body();
    fn.get(t).i32(1).i32Add().set(t);
    fn.br(0);
    fn.end().end();
  };
  const columnLoop = (body: () => void) => {
    fn.i32(0).set(jOff);
    fn.loop();
    body();
    fn.get(jOff)
      .i32(4 * nr)
      .i32Add()
      .tee(jOff)
      .i32(n * 4)
      .i32LtU()
      .brIf(0);
    fn.end();
  };
  if (shape.order === "columnsOuter") {
    columnLoop(() => {
      fn.get(ROWS).set(rowPtr);
      fn.get(CBASE).get(jOff).i32Add().set(cRow);
      rowLoop(() => {
        tile();
        fn.get(rowPtr)
          .i32(4 * mr)
          .i32Add()
          .set(rowPtr);
        fn.get(cRow)
          .i32(mr * cStride)
          .i32Add()
          .set(cRow);
      });
    });
  } else {
    rowLoop(() => {
      const rowStart = fn.local(I32);
      const cStart = fn.local(I32);
      fn.get(ROWS)
        .get(t)
        .i32(4 * mr)
        .i32Mul()
        .i32Add()
        .set(rowStart);
      fn.get(CBASE)
        .get(t)
        .i32(mr * cStride)
        .i32Mul()
        .i32Add()
        .set(cStart);
      columnLoop(() => {
        fn.get(rowStart).set(rowPtr);
        fn.get(cStart).get(jOff).i32Add().set(cRow);
        tile();
      });
    });
  }
  return fn;
}

const compiled = new Map<string, WasmModule>();

/** The compiled module (cached per shape) exporting `gemm` for `shape`; it imports `env.memory`. */
export function gemmModule(shape: GemmShape): WasmModule {
  const key = JSON.stringify(shape);
  let module = compiled.get(key);
  if (module === undefined) {
    module = new Wasm.Module(buildModule([{ name: "gemm", fn: gemmFunction(shape) }]));
    compiled.set(key, module);
  }
  return module;
}
