import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// The Node build of tfjs-core registers no gradient functions; the Node build of tfjs-layers registers all of
// them (as the umbrella @tensorflow/tfjs does). Importing it here makes tf.grad work whatever the caller imported.
import "@tensorflow/tfjs-layers";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BackendUnavailableError } from "./errors.js";
import { registerWasmTrainingKernels } from "./wasm-training-kernels.js";

/**
 * The backends a trainer can run on, best first. `tensorflow-gpu` and `tensorflow` come from the optional
 * native packages `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node` (both register the tfjs backend
 * named "tensorflow"); `wasm` is XNNPACK compiled to WebAssembly (SIMD build in Node); `cpu` is plain JS.
 */
export const BACKEND_PREFERENCE = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type TrainingBackendName = (typeof BACKEND_PREFERENCE)[number];

export interface TrainingBackendInfo {
  /** Which of ours was chosen. */
  readonly name: TrainingBackendName;
  /** The tfjs backend name actually active (`tf.getBackend()`). */
  readonly tfjsBackend: string;
  /** Whether the WebAssembly build uses 128-bit SIMD (wasm only; false elsewhere). */
  readonly simd: boolean;
  /** Threads the backend computes with (1 for wasm in Node and for cpu; `null` when the native runtime decides). */
  readonly threads: number | null;
  /** Backends tried before this one, with the reason each was skipped. */
  readonly skipped: readonly { name: TrainingBackendName; reason: string }[];
}

export interface InitTrainingBackendOptions {
  /** Backends to try, in order (default: all, best first). Tests pin `["wasm"]` or `["cpu"]`. */
  readonly prefer?: readonly TrainingBackendName[];
  /** Where the one-line choice is reported (default `console.info`). */
  readonly log?: (line: string) => void;
}

const NATIVE_PACKAGES: Record<"tensorflow-gpu" | "tensorflow", string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
};

let wasmPathsSet = false;

/** Points the wasm backend at the `.wasm` binaries inside its npm package (read from disk, no fetch). */
function useWasmBinariesFromPackage(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const distDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  setWasmPaths(`${distDir}${path.sep}`);
  wasmPathsSet = true;
}

/**
 * The Emscripten glue of the wasm backend installs process-wide `uncaughtException`/`unhandledRejection`
 * listeners that rethrow, which turns any stray rejection in the host program into a crash dump. Remove
 * the listeners that appeared while the backend initialised.
 */
async function withoutEmscriptenProcessHandlers<T>(run: () => Promise<T>): Promise<T> {
  const exceptionHandlers = new Set(process.listeners("uncaughtException"));
  const rejectionHandlers = new Set(process.listeners("unhandledRejection"));
  try {
    return await run();
  } finally {
    for (const listener of process.listeners("uncaughtException")) {
      if (!exceptionHandlers.has(listener)) process.removeListener("uncaughtException", listener);
    }
    for (const listener of process.listeners("unhandledRejection")) {
      if (!rejectionHandlers.has(listener)) process.removeListener("unhandledRejection", listener);
    }
  }
}

async function tryBackend(name: TrainingBackendName): Promise<TrainingBackendInfo | string> {
  try {
    if (name === "tensorflow-gpu" || name === "tensorflow") {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package to exist.
      const specifier: string = NATIVE_PACKAGES[name];
      await import(specifier);
      if (!(await tf.setBackend("tensorflow"))) return "the tensorflow backend did not initialise";
      return { name, tfjsBackend: tf.getBackend(), simd: false, threads: null, skipped: [] };
    }
    if (name === "wasm") {
      useWasmBinariesFromPackage();
      const ok = await withoutEmscriptenProcessHandlers(() => tf.setBackend("wasm"));
      if (!ok) return "the wasm backend did not initialise";
      registerWasmTrainingKernels();
      const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
      return { name, tfjsBackend: tf.getBackend(), simd, threads: 1, skipped: [] };
    }
    if (!(await tf.setBackend("cpu"))) return "the cpu backend did not initialise";
    return { name, tfjsBackend: tf.getBackend(), simd: false, threads: 1, skipped: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n")[0] ?? message;
  }
}

/**
 * Picks the best backend this machine can run: tfjs-node-gpu, then tfjs-node, then WebAssembly (SIMD, with
 * the convolution-training kernels registered), then plain cpu. Logs the choice in one line and returns it so
 * the trainer can report it to the coordinator.
 */
export async function initTrainingBackend(options: InitTrainingBackendOptions = {}): Promise<TrainingBackendInfo> {
  const order = options.prefer ?? BACKEND_PREFERENCE;
  const log = options.log ?? ((line: string) => console.info(line));
  const skipped: { name: TrainingBackendName; reason: string }[] = [];
  for (const name of order) {
    const result = await tryBackend(name);
    if (typeof result === "string") {
      skipped.push({ name, reason: result });
      continue;
    }
    const info: TrainingBackendInfo = { ...result, skipped };
    const skippedText = skipped.length > 0 ? ` (skipped: ${skipped.map((s) => s.name).join(", ")})` : "";
    log(`training backend: ${info.name}${info.simd ? " simd" : ""}, threads ${info.threads ?? "auto"}${skippedText}`);
    return info;
  }
  throw new BackendUnavailableError(skipped);
}
