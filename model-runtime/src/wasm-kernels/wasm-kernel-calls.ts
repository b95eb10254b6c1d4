import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs-core";

/**
 * Small helpers for kernels that run on the wasm backend: they call other wasm kernels (which run inside
 * WebAssembly on the backend's heap) and allocate, fill and free tensors on that heap. Every TensorInfo made
 * here is either returned or freed with `free` before the kernel returns.
 */

/** The registered wasm implementation of `kernelName` (throws if the wasm backend lacks it). */
export function wasmKernel(kernelName: string): KernelFunc {
  const config = getKernel(kernelName, "wasm");
  if (config === undefined) throw new Error(`kernel ${kernelName} is not registered for wasm`);
  return config.kernelFunc;
}

/** Runs a single-output kernel function on the wasm backend. */
export function call(
  kernel: KernelFunc,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: object,
): TensorInfo {
  const out = kernel({ inputs, backend, attrs: attrs as NamedAttrMap });
  if (Array.isArray(out)) throw new Error("expected a single-output kernel");
  return out;
}

/** Allocates a float32 tensor on the wasm heap (contents undefined until written). */
export function allocate(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, "float32");
}

/**
 * A Float32Array view of a tensor on the wasm heap. Take views only after every allocation of the kernel:
 * growing the heap detaches earlier views.
 */
export function view(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function free(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}
