import { F32, FunctionBuilder, I32, Simd, V128 } from "@tributary/protocol";

/** One trainable tensor's region for the SGD step: `floats` (a multiple of 4) at byte addresses w, g, w_global. */
export interface SgdRegion {
  readonly w: number;
  readonly g: number;
  readonly wg: number;
  readonly floats: number;
}

/** `sgd(lr, mu)`: w ← w − lr·(g + μ(w − w_global)) over every region, four floats at a time. */
export function sgdFunction(regions: readonly SgdRegion[]): FunctionBuilder {
  const fn = new FunctionBuilder([F32, F32]);
  const [lr, mu] = [fn.local(V128), fn.local(V128)];
  const [wp, gp, gg, count, w] = [fn.local(I32), fn.local(I32), fn.local(I32), fn.local(I32), fn.local(V128)];
  fn.get(0).simd(Simd.f32x4Splat).set(lr);
  fn.get(1).simd(Simd.f32x4Splat).set(mu);
  for (const region of regions) {
    if (region.floats % 4 !== 0) throw new RangeError("sgd: a region must hold a multiple of 4 floats");
    fn.i32(region.w)
      .set(wp)
      .i32(region.g)
      .set(gp)
      .i32(region.wg)
      .set(gg)
      .i32(region.floats / 4)
      .set(count);
    fn.loop();
    fn.get(wp).load(0).set(w);
    fn.get(wp);
    fn.get(w);
    fn.get(gp).load(0);
    fn.get(w).get(gg).load(0).simd(Simd.f32x4Sub).get(mu).simd(Simd.f32x4Mul);
    fn.simd(Simd.f32x4Add).get(lr).simd(Simd.f32x4Mul);
    fn.simd(Simd.f32x4Sub).store(0);
    for (const pointer of [wp, gp, gg]) fn.get(pointer).i32(16).i32Add().set(pointer);
    fn.get(count).i32(1).i32Sub().tee(count).brIf(0);
    fn.end();
  }
  return fn;
}
