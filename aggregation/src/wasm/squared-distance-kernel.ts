import { buildModule, FunctionBuilder, I32, Simd, V128, Wasm, type WasmModule } from "@tributary/protocol";

/**
 * `pairs(n, stride, count, d)`: for every i < j < n, adds sum_c (row_i[c] − row_j[c])² over the first `count`
 * floats (a multiple of 8) of rows at i·stride bytes to the float64 d[i·n + j]. The difference is taken in float32
 * and squared and summed in float64 (four independent accumulators).
 */
export interface SquaredDistanceExports {
  readonly pairs: (n: number, stride: number, count: number, d: number) => void;
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

function pairsFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32]);
  const [n, stride, count, d] = [0, 1, 2, 3];
  const i = fn.local(I32);
  const j = fn.local(I32);
  const rowI = fn.local(I32);
  const rowJ = fn.local(I32);
  const c = fn.local(I32);
  const bytes = fn.local(I32);
  const address = fn.local(I32);
  const diff = fn.local(V128);
  const sums = [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)];

  const wide = fn.local(V128);
  const square = (high: boolean, sum: number): void => {
    fn.get(diff);
    if (high) fn.get(diff).shuffle(HIGH_HALF);
    fn.simd(Simd.f64x2PromoteLowF32x4).tee(wide).get(wide);
    fn.simd(Simd.f64x2Mul).get(sum).simd(Simd.f64x2Add).set(sum);
  };

  fn.get(count).i32(4).i32Mul().set(bytes);
  fn.i32(0).set(i);
  fn.block().loop(); // over i
  fn.get(i).get(n).i32(1).i32Sub().i32GeU().brIf(1);
  fn.get(i).i32(1).i32Add().set(j);
  fn.block().loop(); // over j
  fn.get(j).get(n).i32GeU().brIf(1);
  fn.get(i).get(stride).i32Mul().set(rowI);
  fn.get(j).get(stride).i32Mul().set(rowJ);
  for (const sum of sums) fn.f64(0).simd(Simd.f64x2Splat).set(sum);
  fn.i32(0).set(c);
  fn.block().loop(); // over coordinates, 8 at a time
  fn.get(c).get(bytes).i32GeU().brIf(1);
  for (const half of [0, 16]) {
    fn.get(rowI).get(c).i32Add().load(half);
    fn.get(rowJ).get(c).i32Add().load(half);
    fn.simd(Simd.f32x4Sub).set(diff);
    square(false, sums[half === 0 ? 0 : 2] as number);
    square(true, sums[half === 0 ? 1 : 3] as number);
  }
  fn.get(c).i32(32).i32Add().set(c);
  fn.br(0).end().end();
  // d[i*n + j] += total of the four accumulators' lanes.
  fn.get(d).get(i).get(n).i32Mul().get(j).i32Add().i32(8).i32Mul().i32Add().set(address);
  fn.get(address);
  fn.get(sums[0] as number)
    .get(sums[1] as number)
    .simd(Simd.f64x2Add);
  fn.get(sums[2] as number)
    .get(sums[3] as number)
    .simd(Simd.f64x2Add);
  fn.simd(Simd.f64x2Add).set(diff);
  fn.get(diff).f64x2ExtractLane(0).get(diff).f64x2ExtractLane(1).f64Add();
  fn.get(address).f64Load(0).f64Add();
  fn.f64Store(0);
  fn.get(j).i32(1).i32Add().set(j);
  fn.br(0).end().end();
  fn.get(i).i32(1).i32Add().set(i);
  fn.br(0).end().end();
  return fn;
}

let cachedModule: WasmModule | undefined;

export function squaredDistanceModule(): WasmModule {
  cachedModule ??= new Wasm.Module(buildModule([{ name: "pairs", fn: pairsFunction() }]));
  return cachedModule;
}
