import {
  buildModule,
  FunctionBuilder,
  I32,
  instantiate,
  Simd,
  V128,
  Wasm,
  type WasmMemory,
  type WasmModule,
} from "@tributary/protocol";
import { type Comparator, pruneNetworkForRanks, sortingNetwork } from "./sorting-network.js";

/**
 * Per-coordinate order statistics over `n` rows with a SIMD sorting network: four coordinates at a time, the `n`
 * values of each sit in `n` v128 locals and go through branch-free min/max compare-exchanges (no data-dependent
 * branches, no sort per coordinate). The network is pruned to the ranks each rule reads.
 *
 * Memory: row k of the current block at k * ORDER_STAT_BLOCK * 4 bytes, the float32 result after the last row.
 */
export const ORDER_STAT_BLOCK = 1024;
/** Largest row count compiled to a network; more rows use the scalar quickselect path. */
export const ORDER_STAT_MAX_ROWS = 64;

export type OrderStatisticSpec =
  | { readonly kind: "median"; readonly n: number }
  | { readonly kind: "trimmed"; readonly n: number; readonly trim: number }
  /** Bulyan's coordinate phase over n = θ rows: mean of the β = n − 2f values closest to the median. */
  | { readonly kind: "bulyan"; readonly n: number; readonly f: number };

export interface OrderStatisticKernel {
  /** Processes the first `count` coordinates (rounded up to 4) of the block; 1 if every value was finite. */
  readonly run: (count: number) => number;
  readonly memory: WasmMemory;
  /** Byte offset of the float32 output block. */
  readonly outOffset: number;
}

const ROW_BYTES = ORDER_STAT_BLOCK * 4;
const HIGH_PAIR = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const JOIN_LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** Ranks whose values each rule reads (as a set: their order among themselves does not matter). */
function readRanks(spec: OrderStatisticSpec): [number, number] {
  const { n } = spec;
  switch (spec.kind) {
    case "median":
      return n % 2 === 1 ? [(n - 1) / 2, (n + 1) / 2] : [n / 2 - 1, n / 2 + 1];
    case "trimmed":
      return [spec.trim, n - spec.trim];
    case "bulyan":
      return [0, n];
  }
}

/** Emits code leaving on the stack the float64x2 pair (low or high two lanes) of the float32x4 in `local`. */
function promote(fn: FunctionBuilder, local: number, high: boolean): void {
  fn.get(local);
  if (high) fn.get(local).shuffle(HIGH_PAIR);
  fn.simd(Simd.f64x2PromoteLowF32x4);
}

/** Emits `sumLo`/`sumHi` = float64 sums of the given row locals (in order). */
function sumRows(fn: FunctionBuilder, rows: readonly number[], sumLo: number, sumHi: number): void {
  rows.forEach((row, index) => {
    promote(fn, row, false);
    if (index > 0) fn.get(sumLo).simd(Simd.f64x2Add);
    fn.set(sumLo);
    promote(fn, row, true);
    if (index > 0) fn.get(sumHi).simd(Simd.f64x2Add);
    fn.set(sumHi);
  });
}

/** Emits the float32x4 (lo / divisor, hi / divisor) joined, left on the stack. */
function divideAndJoin(fn: FunctionBuilder, lo: number, hi: number, divisor: number): void {
  fn.get(lo).f64(divisor).simd(Simd.f64x2Splat).simd(Simd.f64x2Div).simd(Simd.f32x4DemoteF64x2Zero);
  fn.get(hi).f64(divisor).simd(Simd.f64x2Splat).simd(Simd.f64x2Div).simd(Simd.f32x4DemoteF64x2Zero);
  fn.shuffle(JOIN_LOW_HALVES);
}

function kernelFunction(spec: OrderStatisticSpec): FunctionBuilder {
  const { n } = spec;
  const [from, to] = readRanks(spec);
  // Bulyan reads every rank individually (window ends), so it keeps the full sort.
  const network: Comparator[] =
    spec.kind === "bulyan" ? sortingNetwork(n) : pruneNetworkForRanks(sortingNetwork(n), n, from, to);
  const outOffset = n * ROW_BYTES;

  const fn = new FunctionBuilder([I32], [I32]);
  const count = 0;
  const i = fn.local(I32);
  const end = fn.local(I32);
  const check = fn.local(V128);
  const tmp = fn.local(V128);
  const lo = fn.local(V128);
  const hi = fn.local(V128);
  const rows: number[] = [];
  for (let k = 0; k < n; k++) rows.push(fn.local(V128));

  fn.get(count).i32(4).i32Mul().set(end);
  fn.i32(0).set(i);
  fn.block().loop();
  fn.get(i).get(end).i32GeU().brIf(1);

  // Load the n values of four coordinates; x - x is NaN exactly when x is NaN or infinite, and NaN sticks.
  rows.forEach((row, k) => {
    fn.get(i)
      .load(k * ROW_BYTES)
      .tee(row)
      .get(row)
      .simd(Simd.f32x4Sub)
      .get(check)
      .simd(Simd.f32x4Add)
      .set(check);
  });
  for (const [a, b] of network) {
    const ra = rows[a] as number;
    const rb = rows[b] as number;
    fn.get(ra).get(rb).simd(Simd.f32x4Pmin).set(tmp);
    fn.get(ra).get(rb).simd(Simd.f32x4Pmax).set(rb);
    fn.get(tmp).set(ra);
  }

  fn.get(i); // store address
  switch (spec.kind) {
    case "median":
      if (n % 2 === 1) {
        fn.get(rows[(n - 1) / 2] as number);
      } else {
        sumRows(fn, [rows[n / 2 - 1] as number, rows[n / 2] as number], lo, hi);
        divideAndJoin(fn, lo, hi, 2);
      }
      break;
    case "trimmed":
      sumRows(fn, rows.slice(from, to), lo, hi);
      divideAndJoin(fn, lo, hi, to - from);
      break;
    case "bulyan":
      emitBulyanSelection(fn, rows, spec.f, lo, hi);
      break;
  }
  fn.store(outOffset);

  fn.get(i).i32(16).i32Add().set(i);
  fn.br(0).end().end();
  fn.get(check).get(check).simd(Simd.f32x4Eq).simd(Simd.i32x4AllTrue);
  return fn;
}

/**
 * With the rows sorted: med = median of the n values; among the 2f + 1 windows of β = n − 2f consecutive sorted
 * values, the one minimising max(med − first, last − med) is exactly the set of the β values closest to med.
 * Leaves the float32x4 mean of that window on the stack. Ties keep the lowest window.
 */
function emitBulyanSelection(fn: FunctionBuilder, rows: readonly number[], f: number, lo: number, hi: number): void {
  const n = rows.length;
  const beta = n - 2 * f;
  const med = fn.local(V128);
  const cost = fn.local(V128);
  const bestCost = fn.local(V128);
  const mask = fn.local(V128);
  const bestLo = fn.local(V128);
  const bestHi = fn.local(V128);
  if (n % 2 === 1) {
    fn.get(rows[(n - 1) / 2] as number).set(med);
  } else {
    sumRows(fn, [rows[n / 2 - 1] as number, rows[n / 2] as number], lo, hi);
    divideAndJoin(fn, lo, hi, 2);
    fn.set(med);
  }
  for (let s = 0; s <= 2 * f; s++) {
    const first = rows[s] as number;
    const last = rows[s + beta - 1] as number;
    fn.get(med).get(first).simd(Simd.f32x4Sub);
    fn.get(last).get(med).simd(Simd.f32x4Sub);
    fn.simd(Simd.f32x4Pmax).set(cost);
    sumRows(fn, rows.slice(s, s + beta), lo, hi);
    if (s === 0) {
      fn.get(cost).set(bestCost);
      fn.get(lo).set(bestLo);
      fn.get(hi).set(bestHi);
      continue;
    }
    fn.get(cost).get(bestCost).simd(Simd.f32x4Lt).set(mask);
    fn.get(cost).get(bestCost).get(mask).simd(Simd.v128Bitselect).set(bestCost);
    fn.get(lo).get(bestLo).get(mask).simd(Simd.i64x2ExtendLowI32x4S).simd(Simd.v128Bitselect).set(bestLo);
    fn.get(hi).get(bestHi).get(mask).simd(Simd.i64x2ExtendHighI32x4S).simd(Simd.v128Bitselect).set(bestHi);
  }
  divideAndJoin(fn, bestLo, bestHi, beta);
}

const compiled = new Map<string, WasmModule>();

/** Instantiates (compiling once per spec and thread) the kernel for `spec`, with its own memory. */
export function orderStatisticKernel(spec: OrderStatisticSpec): OrderStatisticKernel {
  if (spec.n > ORDER_STAT_MAX_ROWS) throw new RangeError(`order-statistic kernel: ${spec.n} rows is above the maximum`);
  const key = JSON.stringify(spec);
  let module = compiled.get(key);
  if (module === undefined) {
    module = new Wasm.Module(buildModule([{ name: "run", fn: kernelFunction(spec) }]));
    compiled.set(key, module);
  }
  const outOffset = spec.n * ROW_BYTES;
  const { memory, exports } = instantiate(module, outOffset + ROW_BYTES);
  const run = exports.run as (count: number) => number;
  return { run, memory, outOffset };
}
