import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { allocate, call, free, view, wasmKernel } from "./wasm-kernel-calls.js";

/**
 * Gradient of a 2-D convolution with respect to its input, for the wasm backend. The backend ships one, but as
 * scalar loops (~2 GFLOP/s here, against ~13 GFLOP/s for its XNNPACK forward convolution), and it is a third
 * of a CNN's training arithmetic. It is a forward convolution in disguise:
 *
 *   dx[b, ih, iw, c] = Σ_{kh', kw', f} dyD[b, ih + kh' − pt, iw + kw' − pl, f] · W'[kh', kw', f, c]
 *
 * where dyD is dy with (stride − 1) zeros inserted between rows and columns, W' is the filter rotated by 180°
 * with its channel axes swapped (W'[kh', kw', f, c] = W[fh−1−kh', fw−1−kw', c, f]), pt = fh−1−top and
 * pl = fw−1−left. The zero insertion and the rotation are cheap loops here; the convolution runs in XNNPACK.
 * Shapes that need negative padding (explicit paddings wider than the filter) or NCHW go to the original kernel.
 */
export function makeConv2dBackpropInputConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    const padTop = info.filterHeight - 1 - info.padInfo.top;
    const padLeft = info.filterWidth - 1 - info.padInfo.left;
    const dilatedHeight = (info.outHeight - 1) * info.strideHeight + 1;
    const dilatedWidth = (info.outWidth - 1) * info.strideWidth + 1;
    const padBottom = info.inHeight - dilatedHeight + info.padInfo.top;
    const padRight = info.inWidth - dilatedWidth + info.padInfo.left;
    if (info.dataFormat !== "channelsLast" || Math.min(padTop, padLeft, padBottom, padRight) < 0) {
      return original.kernelFunc(args);
    }
    const dilated =
      info.strideHeight === 1 && info.strideWidth === 1
        ? dy
        : allocate(backend, [info.batchSize, dilatedHeight, dilatedWidth, info.outChannels]);
    const rotated = allocate(backend, [info.filterHeight, info.filterWidth, info.outChannels, info.inChannels]);
    if (dilated !== dy) insertZeros(view(backend, dy), view(backend, dilated), info);
    rotateFilter(view(backend, filter), view(backend, rotated), info);
    const dx = call(
      wasmKernel("Conv2D"),
      backend,
      { x: dilated, filter: rotated },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ],
        dataFormat: "NHWC",
        dilations: [1, 1],
      },
    );
    free(backend, rotated);
    if (dilated !== dy) free(backend, dilated);
    return dx;
  };
  return {
    kernelName: Conv2DBackpropInput,
    backendName: "wasm",
    kernelFunc,
    ...(original.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
    ...(original.disposeFunc === undefined ? {} : { disposeFunc: original.disposeFunc }),
  };
}

/** dyD[b, oh·sh, ow·sw, :] = dy[b, oh, ow, :], zeros elsewhere (NHWC). */
function insertZeros(dy: Float32Array, dilated: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, outHeight, outWidth, outChannels: f, strideHeight: sh, strideWidth: sw } = info;
  const dh = (outHeight - 1) * sh + 1;
  const dw = (outWidth - 1) * sw + 1;
  dilated.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const from = ((b * outHeight + oh) * outWidth + ow) * f;
        dilated.set(dy.subarray(from, from + f), ((b * dh + oh * sh) * dw + ow * sw) * f);
      }
    }
  }
}

/** rotated[kh, kw, f, c] = filter[fh−1−kh, fw−1−kw, c, f]. */
function rotateFilter(filter: Float32Array, rotated: Float32Array, info: backend_util.Conv2DInfo): void {
  const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: f } = info;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const src = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * c * f;
      const dst = (kh * fw + kw) * f * c;
      for (let ci = 0; ci < c; ci++) {
        for (let fi = 0; fi < f; fi++) rotated[dst + fi * c + ci] = filter[src + ci * f + fi] as number;
      }
    }
  }
}
