import { parentPort, workerData } from "node:worker_threads";
import { ensureModelBackend } from "./model-backend.js";
import type {
  ThreadError,
  ValidationThreadInit,
  ValidationThreadReply,
  ValidationThreadRequest,
} from "./threaded-validation-evaluator.js";
import { createValidationEvaluator } from "./validation-evaluator.js";

/**
 * The worker thread of `createThreadedValidationEvaluator`: builds the evaluator (its own tfjs backend, model and
 * tensors), answers `ready` with the parameter count or `failed` with the reason, then scores each weight vector
 * it is sent, in order.
 */
const port = parentPort;
if (port === null) throw new Error("validation-thread runs as a worker thread");
const init = workerData as ValidationThreadInit;

function threadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { code, details } = error as { code?: unknown; details?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof details === "object" && details !== null ? { details: details as Record<string, unknown> } : {}),
  };
}

const post = (reply: ValidationThreadReply) => port.postMessage(reply);

try {
  // The best backend, as the host's own evaluator would take, chosen without a line on the host's stdout (which
  // a worker's console shares: a CLI's `--json` output must stay one line).
  await ensureModelBackend({ log: () => {} });
  const evaluator = await createValidationEvaluator(init.spec, init.set, init.options);
  port.on("message", ({ id, weights }: ValidationThreadRequest) => {
    evaluator.evaluate(weights).then(
      (score) => post({ type: "score", id, score }),
      (error: unknown) => post({ type: "error", id, error: threadError(error) }),
    );
  });
  post({ type: "ready", parameters: evaluator.parameters });
} catch (error) {
  post({ type: "failed", error: threadError(error) });
}
