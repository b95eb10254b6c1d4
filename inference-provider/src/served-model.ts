import { Worker } from "node:worker_threads";
import { ensureModelBackend, threadEntry } from "@tributary/model-runtime";
import { type Bytes32, inferModelShapes, type ModelSpec } from "@tributary/protocol";
import type {
  ModelThreadAnswer,
  ModelThreadData,
  ModelThreadDone,
  ModelThreadRequest,
  ModelThreadSlot,
  ThreadDeterministic,
} from "./model-thread.js";

/** A verifiable answer: the fixed-point path's integer logits and the hashes a receipt signs. */
export interface DeterministicPrediction {
  /** `outputSize` integer logits per example. */
  readonly logits: Int32Array;
  readonly requestHash: Bytes32;
  readonly responseHash: Bytes32;
}

/** A model ready to answer: its shapes per example and a batched forward pass. */
export interface ServedModel {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Floats per example in and out. */
  readonly inputSize: number;
  readonly outputSize: number;
  /**
   * Outputs of `count` examples packed in `input`, packed the same way. An input from `inputBuffer` goes to the
   * model's thread as it is; any other is copied first.
   */
  predict(input: Float32Array, count: number): Promise<Float32Array>;
  /** The fixed-point path (deterministic-inference): its quantised model's hash and logit bits, or why it has none. */
  readonly deterministic: ThreadDeterministic;
  /** The same examples on the fixed-point path, on the model's thread (not batched with others). */
  predictDeterministic(input: Float32Array, count: number): Promise<DeterministicPrediction>;
  /**
   * Room for `floats` input values (not zeroed) in memory shared with the model's thread, reserved until the
   * `predict` given it resolves.
   */
  inputBuffer(floats: number): Float32Array;
  /** CPU seconds the model's thread has spent, as of its latest answer. */
  threadCpuSeconds(): number;
  /** Stops the model's thread. */
  dispose(): Promise<void>;
}

const product = (shape: readonly number[]) => shape.reduce((total, size) => total * size, 1);

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
  const { url, execArgv } = threadEntry(import.meta.url, "model-thread");
  const worker = new Worker(url, { workerData: data, ...(execArgv === undefined ? {} : { execArgv }) });
  const pending = new Map<number, { resolve(answer: ModelThreadDone): void; reject(error: Error): void }>();
  let deterministic: ThreadDeterministic = { unsupported: "the model's thread has not started" };
  let nextId = 0;
  let cpuS = 0;
  const inputSize = product(inputShape);
  const outputSize = product(outputShape);
  /** Memory shared with the model's thread (no copy, no transfer per batch); `busy` from `inputBuffer` to answer. */
  const slots: (ModelThreadSlot & { busy: boolean })[] = [];
  const reserve = (floats: number) => {
    let slot = slots.find((candidate) => !candidate.busy && candidate.input.length >= floats);
    if (slot === undefined) {
      const examples = 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(floats / inputSize))));
      const shared = (size: number) => new Float32Array(new SharedArrayBuffer(examples * size * 4));
      slot = { slot: slots.length, input: shared(inputSize), output: shared(outputSize), busy: false };
      slots.push(slot);
      worker.postMessage({ slot: slot.slot, input: slot.input, output: slot.output } satisfies ModelThreadSlot);
    }
    slot.busy = true;
    return slot;
  };
  let stopped: Error | undefined;
  const stop = (error: Error) => {
    stopped ??= error;
    for (const waiting of pending.values()) waiting.reject(stopped);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (answer: ModelThreadAnswer) => {
      if ("ready" in answer) {
        deterministic = answer.deterministic;
        return resolve();
      }
      if ("failed" in answer) return reject(new Error(`the model could not be built: ${answer.failed}`));
      cpuS = answer.cpuS;
      const waiting = pending.get(answer.id);
      pending.delete(answer.id);
      if ("error" in answer) waiting?.reject(new Error(`the model failed: ${answer.error}`));
      else waiting?.resolve(answer);
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
  /** Runs `count` examples on the model's thread, then reads the slot's output with `read`. */
  const call = async <T>(
    input: Float32Array,
    count: number,
    fixedPoint: boolean,
    read: (output: Float32Array, answer: ModelThreadDone) => T,
  ): Promise<T> => {
    if (stopped !== undefined) throw stopped;
    let slot = slots.find((candidate) => candidate.busy && candidate.input.buffer === input.buffer);
    if (slot === undefined) {
      slot = reserve(input.length);
      slot.input.set(input);
    }
    const id = nextId++;
    try {
      const answer = await new Promise<ModelThreadDone>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: ModelThreadRequest = {
          id,
          slot: slot.slot,
          count,
          ...(fixedPoint ? { deterministic: true } : {}),
        };
        worker.postMessage(request);
      });
      return read(slot.output.subarray(0, count * outputSize), answer);
    } finally {
      slot.busy = false;
    }
  };
  return {
    inputShape,
    outputShape,
    inputSize,
    outputSize,
    predict: (input, count) => call(input, count, false, (output) => output.slice()),
    get deterministic() {
      return deterministic;
    },
    predictDeterministic: (input, count) =>
      call(input, count, true, (output, answer) => {
        if (answer.hashes === undefined) throw new Error("the model's thread gave no deterministic hashes");
        return { logits: Int32Array.from(output), ...answer.hashes };
      }),
    inputBuffer: (floats) => reserve(floats).input.subarray(0, floats),
    threadCpuSeconds: () => cpuS,
    async dispose() {
      stop(new Error("the model was stopped"));
      await worker.terminate();
    },
  };
}
