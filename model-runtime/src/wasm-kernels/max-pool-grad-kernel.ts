import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { allocate, view } from "./wasm-kernel-calls.js";

/**
 * Gradient of 2-D max pooling for the wasm backend. Its own kernel measured ~40× slower than the forward pool
 * (a third of a CNN training step); this one is a single pass: for each output pixel, find the first maximum of
 * its window per channel (ties go to the first position in row-major window order, as on the cpu backend) and
 * add dy there. The loops run over contiguous channel rows (NHWC).
 */
export function makeMaxPoolGradConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const backend = args.backend as BackendWasm;
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    if (input.dtype !== "float32") return original.kernelFunc(args);
    const out = allocate(backend, [...input.shape]);
    maxPoolGradLoops(view(backend, input), view(backend, dy), info, view(backend, out));
    return out;
  };
  return {
    kernelName: MaxPoolGrad,
    backendName: "wasm",
    kernelFunc,
    ...(original.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
    ...(original.disposeFunc === undefined ? {} : { disposeFunc: original.disposeFunc }),
  };
}

/** dx (same shape as x, NHWC, overwritten) of max pooling described by `info`, given x and dy. */
export function maxPoolGradLoops(
  x: Float32Array,
  dy: Float32Array,
  info: backend_util.Conv2DInfo,
  dx: Float32Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * sh - top);
      const h1 = Math.min(inHeight, oh * sh - top + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * sw - left);
        const w1 = Math.min(inWidth, ow * sw - left + fw);
        if (h0 >= h1 || w0 >= w1) continue;
        // The window's first position seeds the running maximum; later positions replace it only when larger.
        const seed = ((b * inHeight + h0) * inWidth + w0) * c;
        for (let ci = 0; ci < c; ci++) {
          best[ci] = x[seed + ci] as number;
          where[ci] = seed + ci;
        }
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = ih === h0 ? w0 + 1 : w0; iw < w1; iw++) {
            const base = ((b * inHeight + ih) * inWidth + iw) * c;
            for (let ci = 0; ci < c; ci++) {
              const value = x[base + ci] as number;
              if (value > (best[ci] as number)) {
                best[ci] = value;
                where[ci] = base + ci;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ci = 0; ci < c; ci++) {
          const at = where[ci] as number;
          dx[at] = (dx[at] as number) + (dy[dyBase + ci] as number);
        }
      }
    }
  }
}
