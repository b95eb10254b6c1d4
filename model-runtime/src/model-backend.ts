import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BackendUnavailableError } from "./errors.js";

/**
 * The backends a model can run on, best first. `tensorflow-gpu` and `tensorflow` come from the optional
 * native packages `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node` (both register the tfjs backend
 * named "tensorflow"); `wasm` is XNNPACK compiled to WebAssembly (SIMD build in Node); `cpu` is plain JS.
 */
export const BACKEND_PREFERENCE = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type ModelBackendName = (typeof BACKEND_PREFERENCE)[number];

export interface ModelBackendInfo {
  /** Which of ours was chosen. */
  readonly name: ModelBackendName;
  /** The tfjs backend name actually active (`tf.getBackend()`). */
  readonly tfjsBackend: string;
  /** Whether the WebAssembly build uses 128-bit SIMD (wasm only; false elsewhere). */
  readonly simd: boolean;
  /** Threads the backend computes with (1 for wasm in Node and for cpu; `null` when the native runtime decides). */
  readonly threads: number | null;
  /** Backends tried before this one, with the reason each was skipped. */
  readonly skipped: readonly { name: ModelBackendName; reason: string }[];
}

export interface InitModelBackendOptions {
  /** Backends to try, in order (default: all, best first). Tests pin `["wasm"]` or `["cpu"]`. */
  readonly prefer?: readonly ModelBackendName[];
  /** Where the one-line choice is reported (default `console.info`). */
  readonly log?: (line: string) => void;
  /** What the log line calls the backend (default `model backend`; the trainer says `training backend`). */
  readonly label?: string;
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

async function tryBackend(name: ModelBackendName): Promise<ModelBackendInfo | string> {
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

/** The outcome of the latest `initModelBackend` (pending, or fulfilled), for `ensureModelBackend`. */
let latest: Promise<ModelBackendInfo> | undefined;

/**
 * Picks the best tfjs backend this machine can run — tfjs-node-gpu, then tfjs-node, then WebAssembly (SIMD),
 * then plain cpu — makes it the process-wide tfjs backend, logs the choice in one line and returns it (the
 * trainer reports it to the coordinator). Inference needs nothing more; the trainer adds its gradient kernels.
 */
export function initModelBackend(options: InitModelBackendOptions = {}): Promise<ModelBackendInfo> {
  const chosen = chooseBackend(options);
  latest = chosen;
  chosen.catch(() => {
    if (latest === chosen) latest = undefined;
  });
  return chosen;
}

/**
 * The backend chosen by the latest `initModelBackend` in this process (by whichever package called it), or,
 * when none was, the best one with `options` (default: all, logged with `console.info`). tfjs has one backend per
 * process, so a service that only evaluates models calls this rather than choosing again.
 */
export function ensureModelBackend(options: InitModelBackendOptions = {}): Promise<ModelBackendInfo> {
  return latest ?? initModelBackend(options);
}

async function chooseBackend(options: InitModelBackendOptions): Promise<ModelBackendInfo> {
  const order = options.prefer ?? BACKEND_PREFERENCE;
  const log = options.log ?? ((line: string) => console.info(line));
  const skipped: { name: ModelBackendName; reason: string }[] = [];
  for (const name of order) {
    const result = await tryBackend(name);
    if (typeof result === "string") {
      skipped.push({ name, reason: result });
      continue;
    }
    const info: ModelBackendInfo = { ...result, skipped };
    const skippedText = skipped.length > 0 ? ` (skipped: ${skipped.map((s) => s.name).join(", ")})` : "";
    log(
      `${options.label ?? "model backend"}: ${info.name}${info.simd ? " simd" : ""}, threads ${info.threads ?? "auto"}${skippedText}`,
    );
    return info;
  }
  throw new BackendUnavailableError(skipped);
}
