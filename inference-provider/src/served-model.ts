import { Worker } from "node:worker_threads";
import { ensureModelBackend } from "@tributary/model-runtime";
import { inferModelShapes, type ModelSpec } from "@tributary/protocol";
import type { ModelThreadAnswer, ModelThreadData, ModelThreadRequest } from "./model-thread.js";

/** A model ready to answer: its shapes per example and a batched forward pass. */
export interface ServedModel {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Floats per example in and out. */
  readonly inputSize: number;
  readonly outputSize: number;
  /** Outputs of `count` examples packed in `input` (which is moved to the model's thread: do not use it after), packed the same way. */
  predict(input: Float32Array, count: number): Promise<Float32Array>;
  /** CPU seconds the model's thread has spent, as of its latest answer. */
  threadCpuSeconds(): number;
  /** Stops the model's thread. */
  dispose(): Promise<void>;
}

const product = (shape: readonly number[]) => shape.reduce((total, size) => total * size, 1);

/** Where the model's thread starts: the compiled file, or the TypeScript source through tsx (tsx, vitest). */
function threadEntry(): { url: URL; execArgv?: string[] } {
  if (import.meta.url.endsWith(".js")) return { url: new URL("./model-thread.js", import.meta.url) };
  const tsx = process.execArgv.some((argument) => argument.includes("tsx"));
  return {
    url: new URL("./model-thread.ts", import.meta.url),
    execArgv: [...process.execArgv, ...(tsx ? [] : ["--import", "tsx"]), "--conditions=@tributary/source"],
  };
}

/**
 * Starts the model of `spec` with `weights` (flat, in `modelLayout` order) on a thread of its own, on the tfjs
 * backend this process chose (model-runtime's `initModelBackend`; the best available when none was chosen), so
 * that the event loop serves requests while a batch computes. Resolves once the model is built.
 */
export async function loadServedModel(spec: ModelSpec, weights: Float32Array): Promise<ServedModel> {
  const backend = await ensureModelBackend({ log: () => {} });
  const inputShape = [...spec.inputShape];
  const outputShape = inferModelShapes(spec).outputShape;
  const data: ModelThreadData = { spec, weights, backend: backend.name };
  const { url, execArgv } = threadEntry();
  const worker = new Worker(url, { workerData: data, ...(execArgv === undefined ? {} : { execArgv }) });
  const pending = new Map<number, { resolve(output: Float32Array): void; reject(error: Error): void }>();
  let nextId = 0;
  let cpuS = 0;
  let stopped: Error | undefined;
  const stop = (error: Error) => {
    stopped ??= error;
    for (const waiting of pending.values()) waiting.reject(stopped);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (answer: ModelThreadAnswer) => {
      if ("ready" in answer) return resolve();
      if ("failed" in answer) return reject(new Error(`the model could not be built: ${answer.failed}`));
      cpuS = answer.cpuS;
      const waiting = pending.get(answer.id);
      pending.delete(answer.id);
      if ("error" in answer) waiting?.reject(new Error(`the model failed: ${answer.error}`));
      else waiting?.resolve(answer.output);
    });
    worker.on("error", (error) => {
      stop(error);
      reject(error);
    });
    worker.on("exit", (code) => {
      const error = new Error(`the model's thread exited (code ${code})`);
      stop(error);
      reject(error);
    });
  });
  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    inputShape,
    outputShape,
    inputSize: product(inputShape),
    outputSize: product(outputShape),
    predict(input, count) {
      if (stopped !== undefined) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: ModelThreadRequest = { id, input, count };
        worker.postMessage(request, [input.buffer as ArrayBuffer]);
      });
    },
    threadCpuSeconds: () => cpuS,
    async dispose() {
      stop(new Error("the model was stopped"));
      await worker.terminate();
    },
  };
}
