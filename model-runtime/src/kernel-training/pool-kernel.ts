import { FunctionBuilder, I32, Simd, V128 } from "@tributary/protocol";

/** A strided NHWC view in bytes: the address of element [0, 0, 0, 0] and the strides of images, rows and pixels. */
export interface ByteView {
  readonly base: number;
  readonly image: number;
  readonly row: number;
  readonly pixel: number;
}

/** Max pooling with non-overlapping `ph × pw` windows over `channels` (a multiple of 4) in WebAssembly SIMD. */
export interface PoolKernelShape {
  readonly batch: number;
  readonly outH: number;
  readonly outW: number;
  readonly channels: number;
  readonly ph: number;
  readonly pw: number;
  /** The pooling input, its output, and (backward) the output's and the input's gradients. */
  readonly x: ByteView;
  readonly y: ByteView;
  readonly dy: ByteView;
  readonly dx: ByteView;
  /** The input is a relu's output: the backward pass applies the relu's gradient too. */
  readonly reluInput: boolean;
}

/**
 * Emits the loops over images, output rows and output columns with one pointer per view advanced by constant
 * strides (all addresses are immediates: the network's buffers never move); `body` runs per output pixel.
 */
function windows(
  fn: FunctionBuilder,
  shape: PoolKernelShape,
  views: readonly ByteView[],
  body: (pointers: number[]) => void,
) {
  const { batch, outH, outW, ph, pw } = shape;
  const image = views.map(() => fn.local(I32));
  const row = views.map(() => fn.local(I32));
  const pixel = views.map(() => fn.local(I32));
  const [b, r, c] = [fn.local(I32), fn.local(I32), fn.local(I32)];
  // Input-side views (x, dx) step by whole windows; output-side ones (y, dy) by one pixel.
  const windowed = (view: ByteView) => view === shape.x || view === shape.dx;
  const counted = (counter: number, count: number, inner: () => void) => {
    fn.i32(count).set(counter);
    fn.loop();
    inner();
    fn.get(counter).i32(1).i32Sub().tee(counter).brIf(0);
    fn.end();
  };
  views.forEach((view, v) => {
    fn.i32(view.base).set(image[v] as number);
  });
  counted(b, batch, () => {
    views.forEach((_, v) => {
      fn.get(image[v] as number).set(row[v] as number);
    });
    counted(r, outH, () => {
      views.forEach((_, v) => {
        fn.get(row[v] as number).set(pixel[v] as number);
      });
      counted(c, outW, () => {
        body(pixel);
        views.forEach((view, v) => {
          fn.get(pixel[v] as number)
            .i32(windowed(view) ? pw * view.pixel : view.pixel)
            .i32Add()
            .set(pixel[v] as number);
        });
      });
      views.forEach((view, v) => {
        fn.get(row[v] as number)
          .i32(windowed(view) ? ph * view.row : view.row)
          .i32Add()
          .set(row[v] as number);
      });
    });
    views.forEach((view, v) => {
      fn.get(image[v] as number)
        .i32(view.image)
        .i32Add()
        .set(image[v] as number);
    });
  });
}

/** Leaves the window's maximum of the 4 channels at byte `offset` on the stack (x pointer in local `xp`). */
function windowMax(fn: FunctionBuilder, shape: PoolKernelShape, xp: number, offset: number): void {
  for (let i = 0; i < shape.ph; i++) {
    for (let j = 0; j < shape.pw; j++) {
      fn.get(xp).load(offset + i * shape.x.row + j * shape.x.pixel);
      if (i + j > 0) fn.simd(Simd.f32x4Pmax);
    }
  }
}

/** `forward()`: y = max over each window of x. */
export function poolForwardFunction(shape: PoolKernelShape): FunctionBuilder {
  const fn = new FunctionBuilder([]);
  windows(fn, shape, [shape.x, shape.y], ([xp, yp]) => {
    for (let v = 0; v < shape.channels / 4; v++) {
      fn.get(yp as number);
      windowMax(fn, shape, xp as number, 16 * v);
      fn.store(16 * v);
    }
  });
  return fn;
}

/**
 * `backward()`: each window's dy goes to the first position (row-major) holding the maximum, 0 to the others
 * (as tfjs's MaxPoolGrad), times the relu's gradient [max > 0] when the input is a relu's output. Branch-free:
 * per position, mask = (x == max) ∧ ¬(already routed).
 */
export function poolBackwardFunction(shape: PoolKernelShape): FunctionBuilder {
  const fn = new FunctionBuilder([]);
  const max = fn.local(V128);
  const g = fn.local(V128);
  const taken = fn.local(V128);
  const hit = fn.local(V128);
  const zero = fn.local(V128);
  fn.i32(0).simd(Simd.i32x4Splat).set(zero);
  windows(fn, shape, [shape.x, shape.dy, shape.dx], ([xp, gp, dp]) => {
    for (let v = 0; v < shape.channels / 4; v++) {
      const offset = 16 * v;
      windowMax(fn, shape, xp as number, offset);
      fn.set(max);
      fn.get(gp as number).load(offset);
      if (shape.reluInput) fn.get(max).get(zero).simd(Simd.f32x4Gt).simd(Simd.v128And);
      fn.set(g);
      fn.get(zero).set(taken);
      for (let i = 0; i < shape.ph; i++) {
        for (let j = 0; j < shape.pw; j++) {
          fn.get(xp as number)
            .load(offset + i * shape.x.row + j * shape.x.pixel)
            .get(max)
            .simd(Simd.f32x4Eq)
            .get(taken)
            .simd(Simd.v128Andnot)
            .set(hit);
          fn.get(taken).get(hit).simd(Simd.v128Or).set(taken);
          fn.get(dp as number);
          fn.get(g).get(hit).simd(Simd.v128And);
          fn.store(offset + i * shape.dx.row + j * shape.dx.pixel);
        }
      }
    }
  });
  return fn;
}
