/**
 * The model's own thread (a worker thread started by `loadServedModel`): it builds the model on the backend the
 * main thread chose, then answers each batch posted to it with the model's outputs, so the main thread keeps
 * serving HTTP, checking vouchers and signing receipts while the model computes.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { buildModel, initModelBackend, type ModelBackendName, setFlatWeights } from "@tributary/model-runtime";
import type { ModelSpec } from "@tributary/protocol";

/** What the main thread gives the model's thread when it starts it. */
export interface ModelThreadData {
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  readonly backend: ModelBackendName;
}

/** A batch to predict: `count` examples packed in `input` (transferred). */
export interface ModelThreadRequest {
  readonly id: number;
  readonly input: Float32Array;
  readonly count: number;
}

/** The batch's outputs (transferred), or why the model failed; with the thread's CPU time so far, in seconds. */
export type ModelThreadAnswer =
  | { readonly id: number; readonly output: Float32Array; readonly cpuS: number }
  | { readonly id: number; readonly error: string; readonly cpuS: number }
  | { readonly ready: true }
  | { readonly failed: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("model-thread runs as a worker thread");
  const post = (answer: ModelThreadAnswer, transfer: ArrayBuffer[] = []) => port.postMessage(answer, transfer);
  const { spec, weights, backend } = workerData as ModelThreadData;
  let model: ReturnType<typeof buildModel>;
  try {
    await initModelBackend({ prefer: [backend], log: () => {} });
    model = buildModel(spec);
    setFlatWeights(model, weights);
  } catch (error) {
    post({ failed: (error as Error).message });
    return;
  }
  const inputShape = [...spec.inputShape];
  const cpuS = () => {
    const used = process.threadCpuUsage();
    return (used.user + used.system) / 1e6;
  };
  port.on("message", async ({ id, input, count }: ModelThreadRequest) => {
    try {
      const output = tf.tidy(() => model.predict(tf.tensor(input, [count, ...inputShape], "float32")) as tf.Tensor);
      try {
        // A copy of its own (the backend may hand out its own storage), moved to the main thread without a copy.
        const values = ((await output.data()) as Float32Array).slice();
        post({ id, output: values, cpuS: cpuS() }, [values.buffer]);
      } finally {
        output.dispose();
      }
    } catch (error) {
      post({ id, error: (error as Error).message, cpuS: cpuS() });
    }
  });
  post({ ready: true });
}

await main();
