import {
  type InitModelBackendOptions,
  initModelBackend,
  type ModelBackendInfo,
  type ModelBackendName,
} from "@tributary/enclave-compute";
// The Node build of tfjs-core registers no gradient functions; the Node build of tfjs-layers registers all of
// them (as the umbrella @tensorflow/tfjs does). Importing it here makes tf.grad work whatever the caller imported.
import "@tensorflow/tfjs-layers";
import { registerWasmTrainingKernels } from "./wasm-training-kernels.js";

/** The backends a trainer can run on: the model runtime's (`BACKEND_PREFERENCE`, best first). */
export type TrainingBackendName = ModelBackendName;
export type TrainingBackendInfo = ModelBackendInfo;
export type InitTrainingBackendOptions = Omit<InitModelBackendOptions, "label">;

/**
 * Picks the best backend this machine can run (the model runtime's `initModelBackend`: tfjs-node-gpu, then
 * tfjs-node, then WebAssembly with SIMD, then plain cpu) and, on WebAssembly, registers the kernels that
 * training needs and inference does not (convolution backpropagation, faster transposed products). Logs the
 * choice in one line (`training backend: …`) and returns it so the trainer can report it to the coordinator.
 */
export async function initTrainingBackend(options: InitTrainingBackendOptions = {}): Promise<TrainingBackendInfo> {
  const info = await initModelBackend({ ...options, label: "training backend" });
  if (info.name === "wasm") registerWasmTrainingKernels();
  return info;
}
