import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelConfig, type KernelFunc, Sum, type SumAttrs, type TensorInfo, util } from "@tensorflow/tfjs-core";
import { allocate, view } from "./wasm-kernel-calls.js";

/**
 * Sum over every axis but the last — the bias gradient of every conv and dense layer (NHWC) — in one contiguous
 * pass with float64 accumulators. The wasm backend's Sum first transposes the reduced axes to the end (a full copy
 * of the input); this skips that copy. Every other reduction goes to the original kernel.
 */
export function makeSumConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading) return original.kernelFunc(args);
    const channels = x.shape[rank - 1] ?? 0;
    const out = allocate(backend, keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels]);
    const values = view(backend, x);
    const totals = new Float64Array(channels);
    for (let offset = 0; offset < values.length; offset += channels) {
      for (let c = 0; c < channels; c++) totals[c] = (totals[c] as number) + (values[offset + c] as number);
    }
    view(backend, out).set(totals);
    return out;
  };
  return {
    kernelName: Sum,
    backendName: "wasm",
    kernelFunc,
    ...(original.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
    ...(original.disposeFunc === undefined ? {} : { disposeFunc: original.disposeFunc }),
  };
}
