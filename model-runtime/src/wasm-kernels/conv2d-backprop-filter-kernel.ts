import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { allocate, call, free, view, wasmKernel } from "./wasm-kernel-calls.js";

type Shape4 = [number, number, number, number];

/**
 * Gradient of a 2-D convolution with respect to its filter, for the wasm backend (which ships without it):
 *
 *   dW[kh, kw, c, f] = Σ_b Σ_oh Σ_ow x[b, oh·sh + kh − top, ow·sw + kw − left, c] · dy[b, oh, ow, f]
 *
 * Fast path (NHWC): the sum is itself a convolution once batch and channels swap roles. With
 * x' = x transposed to [C, H, W, B] and the "filter" dy' = dy transposed to [OH, OW, B, F], a stride-1
 * convolution of x' by dy' dilated by the forward strides gives out[c, kh, kw, f] = dW[kh, kw, c, f]. That
 * convolution runs in the wasm backend's XNNPACK Conv2D (SIMD GEMM), which measured ~10× faster here than
 * any GEMM written in TypeScript; the transposes are memory-bound and cheap next to it.
 *
 * Fallback (NCHW, or anything the fast path does not cover): direct loops over the data in TypeScript,
 * ordered so the innermost loop runs over a contiguous output row.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat === "channelsLast") return viaForwardConvolution(wasm, x, dy, info);
  return viaLoops(wasm, x, dy, info);
}

function viaForwardConvolution(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: f } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padding after the input so that exactly the filter's extent of output rows/columns is produced; when the
  // forward convolution never reached the last rows (valid padding with a stride), produce more and crop.
  const needBottom = fh + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const needRight = fw + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;
  const bottom = Math.max(0, needBottom);
  const right = Math.max(0, needRight);

  const transpose = wasmKernel("Transpose");
  const xT = call(transpose, backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = call(transpose, backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const y = call(
    wasmKernel("Conv2D"),
    backend,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: "NHWC",
      dilations: [info.strideHeight, info.strideWidth],
    },
  );
  free(backend, xT, dyT);
  const yh = y.shape[1] ?? 0;
  const yw = y.shape[2] ?? 0;
  const out = allocate(backend, [fh, fw, c, f]);
  const src = view(backend, y);
  const dst = view(backend, out);
  // out[kh, kw, ci, fi] = y[ci, kh, kw, fi]: rows of f floats move as blocks.
  for (let ci = 0; ci < c; ci++) {
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const from = ((ci * yh + kh) * yw + kw) * f;
        dst.set(src.subarray(from, from + f), ((kh * fw + kw) * c + ci) * f);
      }
    }
  }
  free(backend, y);
  return out;
}

function viaLoops(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const out = allocate(backend, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]);
  const dw = view(backend, out);
  conv2dBackpropFilterLoops(view(backend, x), view(backend, dy), info, dw);
  return out;
}

/**
 * dW for any data format and padding by direct accumulation (`dw` is [fh, fw, C, F], overwritten). Loop order
 * b, oh, ow, kh, kw, c, f keeps the innermost loop on a contiguous row of dW and, for NHWC, of dy.
 */
export function conv2dBackpropFilterLoops(
  x: Float32Array,
  dy: Float32Array,
  info: backend_util.Conv2DInfo,
  dw: Float32Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, outChannels: f } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const last = info.dataFormat === "channelsLast";
  // Element strides of x [b, h, w, c] and dy [b, h, w, f] in either layout.
  const xs = last
    ? [inHeight * inWidth * c, inWidth * c, c, 1]
    : [c * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const ys = last
    ? [outHeight * outWidth * f, outWidth * f, f, 1]
    : [f * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  const [xb = 0, xh = 0, xw = 0, xc = 0] = xs;
  const [yb = 0, yh = 0, yw = 0, yc = 0] = ys;
  const dyRow = new Float32Array(f);
  dw.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const yBase = b * yb + oh * yh + ow * yw;
        for (let fi = 0; fi < f; fi++) dyRow[fi] = dy[yBase + fi * yc] as number;
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * sh + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * sw + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = b * xb + ih * xh + iw * xw;
            const wBase = (kh * fw + kw) * c * f;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[xBase + ci * xc] as number;
              if (xv === 0) continue;
              const row = wBase + ci * f;
              for (let fi = 0; fi < f; fi++) dw[row + fi] = (dw[row + fi] as number) + xv * (dyRow[fi] as number);
            }
          }
        }
      }
    }
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2dBackpropFilter,
};
