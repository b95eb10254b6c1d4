import { buildModule, F64, FunctionBuilder, I32, Simd, V128, Wasm, type WasmModule } from "@tributary/protocol";

/** Floats per input slot: one cache block of one input. 8 slots + the float64 block sit comfortably in L2. */
export const WEIGHTED_SUM_BLOCK = 8192;
/** Inputs combined per pass over the float64 accumulator block. */
export const WEIGHTED_SUM_GROUP = 8;

/** Byte offsets in a blocked weighted-sum memory: float64 block, input slots, float32 output block, weights. */
export const WEIGHTED_SUM_LAYOUT = {
  acc: 0,
  inputs: WEIGHTED_SUM_BLOCK * 8,
  out: WEIGHTED_SUM_BLOCK * 8 + WEIGHTED_SUM_GROUP * WEIGHTED_SUM_BLOCK * 4,
  weights: WEIGHTED_SUM_BLOCK * 8 + (WEIGHTED_SUM_GROUP + 1) * WEIGHTED_SUM_BLOCK * 4,
  bytes: WEIGHTED_SUM_BLOCK * 8 + (WEIGHTED_SUM_GROUP + 1) * WEIGHTED_SUM_BLOCK * 4 + WEIGHTED_SUM_GROUP * 8,
} as const;

/** Exported functions of the weighted-sum module. Pointers are byte offsets, counts are floats. */
export interface WeightedSumExports {
  /** acc[i] (=|+=) sum_{g<G} w[g] * slot_g[i] in float64 for i < count (rounded up to 4); slot g at inp + g*BLOCK*4. */
  readonly [name: `set${number}` | `add${number}`]: (acc: number, inp: number, count: number, w: number) => void;
  /** out[i] = float32(acc[i] / total) for i < count (rounded up to 4). */
  readonly finish: (acc: number, out: number, count: number, total: number) => void;
  /** 1 when the `count` floats at `ptr` (rounded up to 4) are all finite, else 0. */
  readonly check: (ptr: number, count: number) => number;
}

/** Upper two float32 lanes moved to the bottom (for promotion to float64). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const SLOT_BYTES = WEIGHTED_SUM_BLOCK * 4;

function accumulateFunction(group: number, addToExisting: boolean): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32]);
  const [acc, inp, count, wPtr] = [0, 1, 2, 3];
  const end = fn.local(I32);
  const a = fn.local(I32);
  const lo = fn.local(V128);
  const hi = fn.local(V128);
  const v = fn.local(V128);
  const weights: number[] = [];
  for (let g = 0; g < group; g++) {
    const w = fn.local(V128);
    weights.push(w);
    fn.get(wPtr)
      .f64Load(8 * g)
      .simd(Simd.f64x2Splat)
      .set(w);
  }
  // inp walks the slots, a walks the float64 accumulator at twice the stride.
  fn.get(inp).get(count).i32(4).i32Mul().i32Add().set(end);
  fn.get(acc).set(a);
  fn.block().loop();
  fn.get(inp).get(end).i32GeU().brIf(1);
  // Sequential float64 chain acc + w0*x0 + w1*x1 + ...: the same order as adding the inputs one at a time.
  weights.forEach((w, g) => {
    fn.get(inp)
      .load(g * SLOT_BYTES)
      .set(v);
    fn.get(w).get(v).simd(Simd.f64x2PromoteLowF32x4).simd(Simd.f64x2Mul);
    if (g > 0) fn.get(lo).simd(Simd.f64x2Add);
    else if (addToExisting) fn.get(a).load(0).simd(Simd.f64x2Add);
    fn.set(lo);
    fn.get(w).get(v).get(v).shuffle(HIGH_HALF).simd(Simd.f64x2PromoteLowF32x4).simd(Simd.f64x2Mul);
    if (g > 0) fn.get(hi).simd(Simd.f64x2Add);
    else if (addToExisting) fn.get(a).load(16).simd(Simd.f64x2Add);
    fn.set(hi);
  });
  fn.get(a).get(lo).store(0);
  fn.get(a).get(hi).store(16);
  fn.get(inp).i32(16).i32Add().set(inp);
  fn.get(a).i32(32).i32Add().set(a);
  fn.br(0).end().end();
  return fn;
}

function finishFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, F64]);
  const [acc, out, count, total] = [0, 1, 2, 3];
  const end = fn.local(I32);
  const divisor = fn.local(V128);
  fn.get(total).simd(Simd.f64x2Splat).set(divisor);
  fn.get(out).get(count).i32(4).i32Mul().i32Add().set(end);
  fn.block().loop();
  fn.get(out).get(end).i32GeU().brIf(1);
  fn.get(out);
  fn.get(acc).load(0).get(divisor).simd(Simd.f64x2Div).simd(Simd.f32x4DemoteF64x2Zero);
  fn.get(acc).load(16).get(divisor).simd(Simd.f64x2Div).simd(Simd.f32x4DemoteF64x2Zero);
  fn.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  fn.store(0);
  fn.get(out).i32(16).i32Add().set(out);
  fn.get(acc).i32(32).i32Add().set(acc);
  fn.br(0).end().end();
  return fn;
}

function checkFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32], [I32]);
  const [ptr, count] = [0, 1];
  const end = fn.local(I32);
  const sum = fn.local(V128);
  const v = fn.local(V128);
  fn.get(ptr).get(count).i32(4).i32Mul().i32Add().set(end);
  fn.block().loop();
  fn.get(ptr).get(end).i32GeU().brIf(1);
  // x - x is 0 for finite x and NaN for NaN or ±Infinity; NaN then sticks in the running sum.
  fn.get(ptr).load(0).tee(v).get(v).simd(Simd.f32x4Sub).get(sum).simd(Simd.f32x4Add).set(sum);
  fn.get(ptr).i32(16).i32Add().set(ptr);
  fn.br(0).end().end();
  fn.get(sum).get(sum).simd(Simd.f32x4Eq).simd(Simd.i32x4AllTrue);
  return fn;
}

let cachedModule: WasmModule | undefined;
/** The compiled weighted-sum module (compiled once). */
export function weightedSumModule(): WasmModule {
  if (cachedModule === undefined) {
    const functions: { name: string; fn: FunctionBuilder }[] = [];
    for (let g = 1; g <= WEIGHTED_SUM_GROUP; g++) {
      functions.push({ name: `set${g}`, fn: accumulateFunction(g, false) });
      functions.push({ name: `add${g}`, fn: accumulateFunction(g, true) });
    }
    functions.push({ name: "finish", fn: finishFunction() });
    functions.push({ name: "check", fn: checkFunction() });
    cachedModule = new Wasm.Module(buildModule(functions));
  }
  return cachedModule;
}
