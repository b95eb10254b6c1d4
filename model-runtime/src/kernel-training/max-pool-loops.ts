/**
 * Max pooling with non-overlapping windows (strides = pool size, valid padding) over NHWC tensors that live in
 * one Float32Array (the kernels' WebAssembly memory), each addressed as a strided view. Indices are in floats.
 */
export interface StridedView {
  /** Index of element [0, 0, 0, 0]. */
  readonly base: number;
  /** Floats between images, rows and pixels (channels are contiguous). */
  readonly image: number;
  readonly row: number;
  readonly pixel: number;
}

export interface PoolShape {
  readonly batch: number;
  readonly outH: number;
  readonly outW: number;
  readonly channels: number;
  readonly ph: number;
  readonly pw: number;
}

/** y[b, oh, ow, c] = max over the window of x. */
export function maxPoolForward(heap: Float32Array, x: StridedView, y: StridedView, shape: PoolShape): void {
  const { batch, outH, outW, channels, ph, pw } = shape;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const first = x.base + b * x.image + oh * ph * x.row + ow * pw * x.pixel;
        const out = y.base + b * y.image + oh * y.row + ow * y.pixel;
        for (let c = 0; c < channels; c++) {
          let best = heap[first + c] as number;
          for (let i = 0; i < ph; i++) {
            for (let j = 0; j < pw; j++) {
              const value = heap[first + i * x.row + j * x.pixel + c] as number;
              if (value > best) best = value;
            }
          }
          heap[out + c] = best;
        }
      }
    }
  }
}

/**
 * dx of max pooling: each window's dy goes to the first position (row-major) holding its maximum, as tfjs's
 * MaxPoolGrad does; every other window position gets 0. With `reluInput` the input is a relu's output and the
 * relu's gradient is applied too (nothing flows where the maximum is not positive). Positions outside every window
 * (a last odd row or column) are never written.
 */
export function maxPoolBackward(
  heap: Float32Array,
  x: StridedView,
  dy: StridedView,
  dx: StridedView,
  shape: PoolShape,
  reluInput: boolean,
): void {
  const { batch, outH, outW, channels, ph, pw } = shape;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const xFirst = x.base + b * x.image + oh * ph * x.row + ow * pw * x.pixel;
        const dxFirst = dx.base + b * dx.image + oh * ph * dx.row + ow * pw * dx.pixel;
        const g = dy.base + b * dy.image + oh * dy.row + ow * dy.pixel;
        for (let c = 0; c < channels; c++) {
          let best = heap[xFirst + c] as number;
          let bi = 0;
          let bj = 0;
          for (let i = 0; i < ph; i++) {
            for (let j = 0; j < pw; j++) {
              const value = heap[xFirst + i * x.row + j * x.pixel + c] as number;
              if (value > best) {
                best = value;
                bi = i;
                bj = j;
              }
              heap[dxFirst + i * dx.row + j * dx.pixel + c] = 0;
            }
          }
          if (!reluInput || best > 0) heap[dxFirst + bi * dx.row + bj * dx.pixel + c] = heap[g + c] as number;
        }
      }
    }
  }
}
