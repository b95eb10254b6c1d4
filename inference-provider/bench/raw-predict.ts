/**
 * The baseline: the model's own `predict` in process, one call at a time on one thread, at a given batch size. Each
 * call uploads a fresh batch from a Float32Array (as any caller with new inputs must), predicts and reads the
 * outputs back.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { buildModel } from "@tributary/model-runtime";
import { perSecond, quantile, threadCpuMs } from "./bench-stats.js";

const size = (shape: readonly number[]) => shape.reduce((product, axis) => product * axis, 1);

export interface RawPredict {
  readonly batch: number;
  readonly examplesPerS: number;
  /** Examples per CPU second of the predicting thread. */
  readonly examplesPerCpuS: number;
  /** Latency of one call, milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Runs the model for about `ms` milliseconds first: V8 compiles WebAssembly with a baseline compiler and optimises
 * hot functions later, so the first calls are slower than the steady state that is measured.
 */
export async function warmUp(
  model: ReturnType<typeof buildModel>,
  inputShape: readonly number[],
  ms: number,
): Promise<void> {
  const data = new Float32Array(32 * size(inputShape)).fill(0.5);
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const output = tf.tidy(() => model.predict(tf.tensor(data, [32, ...inputShape])) as tf.Tensor);
    await output.data();
    output.dispose();
  }
}

export async function rawPredict(
  model: ReturnType<typeof buildModel>,
  inputShape: readonly number[],
  batch: number,
  examples: number,
): Promise<RawPredict> {
  const data = Float32Array.from({ length: batch * size(inputShape) }, (_, index) => ((index * 37) % 255) / 255);
  const once = async () => {
    const output = tf.tidy(() => model.predict(tf.tensor(data, [batch, ...inputShape])) as tf.Tensor);
    await output.data();
    output.dispose();
  };
  for (let warm = 0; warm < 5; warm++) await once();
  const calls = Math.max(50, Math.ceil(examples / batch));
  const latencies = new Float64Array(calls);
  const cpu = process.threadCpuUsage();
  const start = performance.now();
  for (let call = 0; call < calls; call++) {
    const sent = performance.now();
    await once();
    latencies[call] = performance.now() - sent;
  }
  const wallMs = performance.now() - start;
  return {
    batch,
    examplesPerS: perSecond(calls * batch, wallMs),
    examplesPerCpuS: perSecond(calls * batch, threadCpuMs(cpu)),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** Raw `predict` at each of `batches`, `examples(batch)` examples at each. */
export async function rawCurve(
  model: ReturnType<typeof buildModel>,
  inputShape: readonly number[],
  batches: readonly number[],
  examples: (batch: number) => number,
): Promise<RawPredict[]> {
  const curve: RawPredict[] = [];
  for (const batch of batches) curve.push(await rawPredict(model, inputShape, batch, examples(batch)));
  return curve;
}

/**
 * The baselines for a load phase whose model calls held `batch` examples on average, each averaged over the curves
 * measured just before and just after the phase: raw `predict` at the measured batch size nearest to it (in
 * ratio), and the best raw `predict` at any batch of 32 or more (the strict baseline).
 */
export function rawAround(batch: number, before: readonly RawPredict[], after: readonly RawPredict[]) {
  const averaged = before.map((a) => {
    const b = after.find((raw) => raw.batch === a.batch) as RawPredict;
    return {
      batch: a.batch,
      examplesPerS: Math.round((a.examplesPerS + b.examplesPerS) / 2),
      examplesPerCpuS: Math.round((a.examplesPerCpuS + b.examplesPerCpuS) / 2),
    };
  });
  const distance = (size: number) => Math.abs(Math.log(size / batch));
  const nearest = averaged.reduce((best, raw) => (distance(raw.batch) < distance(best.batch) ? raw : best));
  const large = averaged.filter((raw) => raw.batch >= 32);
  const best = large.reduce((top, raw) => (raw.examplesPerS > top.examplesPerS ? raw : top));
  return { nearest, best };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};

/** Each batch size over all the curves: every run's examples/s, and the median throughput and latencies. */
export function rawSummary(curves: readonly (readonly RawPredict[])[]) {
  return (curves[0] ?? []).map(({ batch }) => {
    const runs = curves.map((curve) => curve.find((raw) => raw.batch === batch) as RawPredict);
    return {
      batch,
      examplesPerS: median(runs.map((run) => run.examplesPerS)),
      runs: runs.map((run) => run.examplesPerS),
      p50Ms: median(runs.map((run) => run.p50Ms)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
    };
  });
}
