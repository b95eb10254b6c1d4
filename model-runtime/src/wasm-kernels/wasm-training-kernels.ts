import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import { makeBatchMatMulConfig } from "./batch-mat-mul-kernel.js";
import { conv2dBackpropFilterConfig } from "./conv2d-backprop-filter-kernel.js";
import { makeConv2dBackpropInputConfig } from "./conv2d-backprop-input-kernel.js";
import { makeMaxPoolGradConfig } from "./max-pool-grad-kernel.js";
import { makeSumConfig } from "./sum-kernel.js";

const ours = new WeakSet<KernelConfig>();

function replace(kernelName: string, make: (original: KernelConfig) => KernelConfig): void {
  const current = getKernel(kernelName, "wasm");
  if (current === undefined || ours.has(current)) return;
  const replacement = make(current);
  ours.add(replacement);
  unregisterKernel(kernelName, "wasm");
  registerKernel(replacement);
}

/**
 * Registers the kernels that training a CNN (conv2d → maxPool → dense) needs on the wasm backend of tfjs 4.22:
 * `Conv2DBackpropFilter` (missing: a CNN cannot train without it), plus faster replacements found by profiling
 * a FedAvg-CNN training step: `Conv2DBackpropInput` and `BatchMatMul` routed through XNNPACK, a one-pass
 * `MaxPoolGrad` and a copy-free `Sum` for bias gradients. Training conv2d → maxPool2d → dense (with flatten, dropout, relu/softmax and the three losses)
 * needs no other kernel that wasm lacks. Idempotent; call after the wasm backend is initialised.
 */
export function registerWasmTrainingKernels(): void {
  if (getKernel(conv2dBackpropFilterConfig.kernelName, "wasm") === undefined) {
    ours.add(conv2dBackpropFilterConfig);
    registerKernel(conv2dBackpropFilterConfig);
  }
  replace("Conv2DBackpropInput", makeConv2dBackpropInputConfig);
  replace("BatchMatMul", makeBatchMatMulConfig);
  replace("MaxPoolGrad", makeMaxPoolGradConfig);
  replace("Sum", makeSumConfig);
}
