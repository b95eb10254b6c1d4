/** One paid answer: its outputs per example, and the attempts a router made before it (retries count). */
export interface PaidAnswer {
  readonly outputs: readonly (readonly number[])[];
  readonly attempts?: readonly unknown[];
}

/** What sends one paid prediction: a buyer's client of one provider or of a router (whose failed attempts count). */
export interface PaidPredictor<A extends PaidAnswer = PaidAnswer> {
  predict(inputs: readonly unknown[]): Promise<A>;
}

import type { Dataset } from "@tributary/trainer-agent";

/** One labelled example as a buyer sends it: nested to the model's input shape, with the label it should get. */
export interface LabelledRequest {
  readonly input: unknown;
  readonly label: number;
}

/** What a run of paid requests measured. */
export interface InferenceLoad {
  readonly requests: number;
  /** Answers whose highest output was the record's label. */
  readonly correct: number;
  /** Requests that needed more than one attempt (a router's retries after a provider failed or timed out). */
  readonly retried: number;
  /** Each request's time from the call (voucher signed) to its checked answer, in milliseconds, in order sent. */
  readonly latenciesMs: readonly number[];
}

/** `values` (row-major) nested to `shape`: `[784]` stays flat, `[28, 28, 1]` becomes 28 × 28 × 1 arrays. */
function nest(values: readonly number[], shape: readonly number[]): unknown {
  const [dim, ...rest] = shape;
  if (dim === undefined || rest.length === 0) return values;
  const size = rest.reduce((product, d) => product * d, 1);
  return Array.from({ length: dim }, (_, i) => nest(values.slice(i * size, (i + 1) * size), rest));
}

/**
 * The records as requests for a model of input shape `inputShape`: each record's values times the dataset's
 * `featureScale` (as the trainers fed them to the model), nested to the shape.
 */
export function labelledRequests(records: Dataset, inputShape: readonly number[]): LabelledRequest[] {
  const size = inputShape.reduce((product, dim) => product * dim, 1);
  return Array.from({ length: records.count }, (_, index) => {
    const values = Array.from(
      records.features.subarray(index * size, (index + 1) * size),
      (v) => v * records.featureScale,
    );
    return { input: nest(values, inputShape), label: records.labels[index] as number };
  });
}

/** The index of the highest value (the first of equals). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/**
 * Sends `requests` paid predictions of one example each through `client`, `concurrency` at a time, cycling through
 * `examples` from `first` (default 0); counts the answers that name the example's label, times each request, and
 * hands each answer to `onAnswer`.
 */
export async function sendPaidRequests<A extends PaidAnswer>(input: {
  readonly client: PaidPredictor<A>;
  readonly examples: readonly LabelledRequest[];
  readonly requests: number;
  readonly concurrency: number;
  readonly first?: number;
  readonly onProgress?: (done: number) => void;
  readonly onAnswer?: (answer: A) => void;
}): Promise<InferenceLoad> {
  const { client, examples, requests } = input;
  const first = input.first ?? 0;
  if (examples.length === 0) throw new TypeError("sendPaidRequests needs examples");
  const latenciesMs = new Array<number>(requests).fill(0);
  let next = 0;
  let done = 0;
  let correct = 0;
  let retried = 0;
  const worker = async () => {
    while (next < requests) {
      const index = next++;
      const example = examples[(first + index) % examples.length] as LabelledRequest;
      const started = performance.now();
      const prediction = await client.predict([example.input]);
      latenciesMs[index] = performance.now() - started;
      if (argmax(prediction.outputs[0] ?? []) === example.label) correct++;
      if ((prediction.attempts?.length ?? 0) > 0) retried++;
      input.onAnswer?.(prediction);
      done++;
      input.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, requests) }, worker));
  return { requests, correct, retried, latenciesMs };
}

/** The nearest-rank percentile `p` (0–100] of `values`, rounded to 0.1. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return Math.round((sorted[rank - 1] ?? 0) * 10) / 10;
}

/** Two runs of requests as one: their counts added, their latencies in the order sent. */
export function joinLoads(a: InferenceLoad, b: InferenceLoad): InferenceLoad {
  return {
    requests: a.requests + b.requests,
    correct: a.correct + b.correct,
    retried: a.retried + b.retried,
    latenciesMs: [...a.latenciesMs, ...b.latenciesMs],
  };
}
