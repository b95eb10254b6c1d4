// The Node build of tfjs-core registers no gradient functions; the Node build of tfjs-layers registers all of
// them (as the umbrella @tensorflow/tfjs does). Importing it here makes tf.grad work whatever the caller imported.
import "@tensorflow/tfjs-layers";
import { type InitModelBackendOptions, initModelBackend, type ModelBackendInfo } from "./model-backend.js";
import { registerWasmTrainingKernels } from "./wasm-kernels/wasm-training-kernels.js";

export type InitTrainingBackendOptions = Omit<InitModelBackendOptions, "label">;

/**
 * The model backend choice for training: `initModelBackend` (tfjs-node-gpu, then tfjs-node, then WebAssembly with
 * SIMD, then plain cpu), logged as `training backend: …`, plus, on WebAssembly, the kernels that training needs
 * and inference does not (convolution backpropagation, faster transposed products). Returns the choice so the
 * trainer can report it to the coordinator.
 */
export async function initTrainingBackend(options: InitTrainingBackendOptions = {}): Promise<ModelBackendInfo> {
  const info = await initModelBackend({ ...options, label: "training backend" });
  if (info.name === "wasm") registerWasmTrainingKernels();
  return info;
}
