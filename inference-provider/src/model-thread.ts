/**
 * The model's own thread (a worker thread started by `loadServedModel`): it builds the model on the backend the
 * main thread chose, then answers each batch posted to it with the model's outputs, so the main thread keeps
 * serving HTTP, checking vouchers and signing receipts while the model computes.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { DeterministicModel } from "@tributary/deterministic-inference";
import { buildModel, initModelBackend, type ModelBackendName, setFlatWeights } from "@tributary/model-runtime";
import { type Bytes32, type DeterministicModelInfo, type ModelSpec, TributaryError } from "@tributary/protocol";

/** What the main thread gives the model's thread when it starts it. */
export interface ModelThreadData {
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  readonly backend: ModelBackendName;
}

/**
 * A slot: memory shared by both threads for one batch in flight, its input (the main thread writes it) and its
 * outputs (the model's thread writes them). Sent once, when the main thread makes it; batches then name it.
 */
export interface ModelThreadSlot {
  readonly slot: number;
  readonly input: Float32Array;
  readonly output: Float32Array;
}

/**
 * A batch to predict: `count` examples packed at the start of slot `slot`'s input. `deterministic`: with the
 * fixed-point path instead of tfjs; its integer logits (|q| < 2^23, exact in float32) go to the slot's output.
 */
export interface ModelThreadRequest {
  readonly id: number;
  readonly slot: number;
  readonly count: number;
  readonly deterministic?: boolean;
}

/** What the model's thread says of the fixed-point path: its model's hash and logit bits, or why it has none. */
export type ThreadDeterministic = DeterministicModelInfo | { readonly unsupported: string };

/**
 * The batch is done (its outputs at the start of its slot's output), or why the model failed; with the thread's CPU
 * time so far, in seconds.
 */
export interface ModelThreadDone {
  readonly id: number;
  readonly cpuS: number;
  /** A deterministic batch's hashes (deterministic-inference's `requestHash` and `responseHash`). */
  readonly hashes?: { readonly requestHash: Bytes32; readonly responseHash: Bytes32 };
}

export type ModelThreadAnswer =
  | ModelThreadDone
  | { readonly id: number; readonly error: string; readonly cpuS: number }
  | { readonly ready: true; readonly deterministic: ThreadDeterministic }
  | { readonly failed: string };

/** The fixed-point path of the model, or why the model has none (a layer it does not support, weights out of range). */
function deterministicModel(spec: ModelSpec, weights: Float32Array): DeterministicModel | { unsupported: string } {
  try {
    return DeterministicModel.fromFloat(spec, weights);
  } catch (error) {
    if (error instanceof TributaryError) return { unsupported: error.message };
    throw error;
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("model-thread runs as a worker thread");
  const post = (answer: ModelThreadAnswer) => port.postMessage(answer);
  const { spec, weights, backend } = workerData as ModelThreadData;
  let model: ReturnType<typeof buildModel>;
  let fixedPoint: DeterministicModel | { unsupported: string };
  try {
    await initModelBackend({ prefer: [backend], log: () => {} });
    model = buildModel(spec);
    setFlatWeights(model, weights);
    fixedPoint = deterministicModel(spec, weights);
  } catch (error) {
    post({ failed: (error as Error).message });
    return;
  }
  const inputShape = [...spec.inputShape];
  const cpuS = () => {
    const used = process.threadCpuUsage();
    return (used.user + used.system) / 1e6;
  };
  const inputSize = inputShape.reduce((product, size) => product * size, 1);
  const slots: ModelThreadSlot[] = [];
  port.on("message", async (message: ModelThreadSlot | ModelThreadRequest) => {
    if ("input" in message) {
      slots[message.slot] = message;
      return;
    }
    const { id, slot, count } = message;
    try {
      const { input, output } = slots[slot] as ModelThreadSlot;
      const values = input.subarray(0, count * inputSize);
      if (message.deterministic === true) {
        if (!(fixedPoint instanceof DeterministicModel)) throw new Error(fixedPoint.unsupported);
        const answer = fixedPoint.infer(values);
        output.set(answer.logits);
        const { requestHash, responseHash } = answer;
        post({ id, cpuS: cpuS(), hashes: { requestHash, responseHash } });
        return;
      }
      const result = tf.tidy(() => model.predict(tf.tensor(values, [count, ...inputShape], "float32")) as tf.Tensor);
      try {
        output.set((await result.data()) as Float32Array);
      } finally {
        result.dispose();
      }
      post({ id, cpuS: cpuS() });
    } catch (error) {
      post({ id, error: (error as Error).message, cpuS: cpuS() });
    }
  });
  post({
    ready: true,
    deterministic:
      fixedPoint instanceof DeterministicModel
        ? { modelHash: fixedPoint.modelHash, fractionBits: fixedPoint.model.activationFractionBits }
        : fixedPoint,
  });
}

await main();
