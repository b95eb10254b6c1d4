import { Worker } from "node:worker_threads";
import { InvalidInputError, type ModelSpecInput, TributaryError, type ValidationSet } from "@tributary/protocol";
import { EvaluatorDisposedError, ModelInputError, WeightsLengthError } from "./errors.js";
import { threadEntry } from "./thread-entry.js";
import type { ValidationEvaluator, ValidationEvaluatorOptions, ValidationScore } from "./validation-evaluator.js";

/** What `validation-thread` starts with. */
export interface ValidationThreadInit {
  readonly spec: ModelSpecInput;
  readonly set: ValidationSet;
  readonly options: ValidationEvaluatorOptions;
}

/** An error as it crosses the thread boundary: enough to raise the same typed error on the host. */
export interface ThreadError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type ValidationThreadReply =
  | { readonly type: "ready"; readonly parameters: number }
  | { readonly type: "failed"; readonly error: ThreadError }
  | { readonly type: "score"; readonly id: number; readonly score: ValidationScore }
  | { readonly type: "error"; readonly id: number; readonly error: ThreadError };

export interface ValidationThreadRequest {
  readonly id: number;
  readonly weights: Float32Array;
}

/** The error a thread reported, as the class `createValidationEvaluator` throws in the host's own thread. */
function raised(error: ThreadError): Error {
  const details = error.details ?? {};
  switch (error.code) {
    case "MODEL_INPUT":
      return new ModelInputError(error.message, details);
    case "WEIGHTS_LENGTH":
      return new WeightsLengthError(Number(details.expected), Number(details.actual));
    case "INVALID_INPUT":
      return new InvalidInputError(
        String(details.what),
        (details.issues ?? []) as ConstructorParameters<typeof InvalidInputError>[1],
      );
    case undefined:
      return Object.assign(new Error(error.message), { name: error.name });
    default:
      return new TributaryError(error.code, error.message, { details });
  }
}

/**
 * `createValidationEvaluator` on a worker thread of its own: the model, the set's tensors and every forward pass
 * live there, so scoring a round (leave-one-out evaluates the model once per update, Shapley estimators dozens of
 * times) never holds the host's event loop. On the WebAssembly backend a forward pass is synchronous and its
 * `data()` settles as a microtask, so in the host's thread a CNN round's scoring would keep timers, sockets and
 * HTTP waiting for seconds. Same scores, same refusals (the same error classes), same order of calls; each
 * `evaluate` copies the weights to the thread. The thread keeps the process alive only while evaluations are
 * pending, and ends once `dispose` has let those finish. A thread that dies rejects what was pending and every
 * later call with the reason.
 */
export async function createThreadedValidationEvaluator(
  spec: ModelSpecInput,
  set: ValidationSet,
  options: ValidationEvaluatorOptions = {},
): Promise<ValidationEvaluator> {
  const { url, execArgv } = threadEntry(import.meta.url, "validation-thread");
  const init: ValidationThreadInit = { spec, set, options };
  const worker = new Worker(url, { workerData: init, ...(execArgv === undefined ? {} : { execArgv }) });
  const pending = new Map<number, { resolve: (score: ValidationScore) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let disposed = false;
  let broken: Error | undefined;

  const parameters = await new Promise<number>((resolve, reject) => {
    // Only these listeners come off once it is ready: the worker's own (which ref its port) must stay.
    const settle = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    const onMessage = (reply: ValidationThreadReply) => {
      settle();
      if (reply.type === "ready") resolve(reply.parameters);
      else reject(reply.type === "failed" ? raised(reply.error) : new Error(`unexpected reply ${reply.type}`));
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onExit = (code: number) => {
      settle();
      reject(new Error(`the validation thread exited (code ${code}) before it was ready`));
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  }).catch((error: unknown) => {
    void worker.terminate();
    throw error;
  });

  const settleIdle = () => {
    if (pending.size > 0) return;
    if (disposed) void worker.terminate();
    else worker.unref();
  };
  const fail = (error: Error) => {
    broken ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on("message", (reply: ValidationThreadReply) => {
    if (reply.type !== "score" && reply.type !== "error") return;
    const call = pending.get(reply.id);
    if (call === undefined) return;
    pending.delete(reply.id);
    if (reply.type === "score") call.resolve(reply.score);
    else call.reject(raised(reply.error));
    settleIdle();
  });
  worker.on("error", (error) => fail(error));
  worker.on("exit", (code) => {
    if (!disposed) fail(new Error(`the validation thread exited (code ${code})`));
  });
  worker.unref();

  return {
    parameters,
    evaluate(weights) {
      if (disposed) return Promise.reject(new EvaluatorDisposedError());
      if (broken !== undefined) return Promise.reject(broken);
      if (weights.length !== parameters) return Promise.reject(new WeightsLengthError(parameters, weights.length));
      const id = nextId++;
      // A compact copy, moved: the caller's array may be a view into a larger buffer, and stays theirs.
      const copy = weights.slice();
      const result = new Promise<ValidationScore>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.ref();
      worker.postMessage({ id, weights: copy } satisfies ValidationThreadRequest, [copy.buffer]);
      return result;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      settleIdle();
    },
  };
}
