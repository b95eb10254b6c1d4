import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { modelSpecOf } from "../build-model.js";
import { getFlatWeights, setFlatWeights } from "../flat-weights.js";
import { featureSize, type LabelledExamples } from "../labelled-examples.js";
import { threadEntry } from "../thread-entry.js";
import { KernelNetwork } from "./kernel-network.js";
import { type LayerPlan, planKernelTraining } from "./kernel-plan.js";
import { type KernelThreadInit, type KernelThreadReply, updateRange } from "./kernel-thread-messages.js";

/** Local SGD on the WebAssembly training kernels, holding the model's weights between `start` and `finish`. */
export interface KernelTrainer {
  /** Threads that compute (1: this one; n: this one and n − 1 workers, each with its own WebAssembly instance). */
  readonly threads: number;
  /** Takes the model's current weights; `globals` (default: those weights) is w_global of the FedProx term. */
  start(globals?: Float32Array): void;
  /**
   * One SGD step on examples `indices` (at most the batch size given at creation): the gradient of their mean
   * loss, then w ← w − lr·(g + μ(w − w_global)). Returns the mean loss and the correct predictions, measured
   * before the update.
   */
  step(
    examples: LabelledExamples,
    indices: ArrayLike<number>,
    learningRate: number,
    mu: number,
  ): Promise<{ loss: number; correct: number }>;
  /** Writes the trained weights into the model and returns them (flat, `modelLayout` order). */
  finish(): Float32Array;
  /** Releases the worker threads, kept idle (unreferenced) for the next training of the same shape. */
  close(): Promise<void>;
}

export interface KernelTrainerOptions {
  /** Threads to compute with (default 1). Each takes an equal share of every batch. */
  readonly threads?: number;
}

/**
 * A trainer on the WebAssembly kernels for `model` (built by `buildModel`) with batches of up to `batchSize`, or
 * why there is none: the tfjs backend is not wasm (tfjs-node and tfjs-node-gpu keep training with tfjs) or the
 * spec has a layer the kernels lack (see `planKernelTraining`).
 */
export function kernelTrainerFor(
  model: tfl.LayersModel,
  batchSize: number,
  options: KernelTrainerOptions = {},
): KernelTrainer | { readonly unsupported: string } {
  const backend = tf.getBackend();
  if (backend !== "wasm") return { unsupported: `the tfjs backend is ${backend}, not wasm` };
  const plan = planKernelTraining(modelSpecOf(model));
  if (!plan.supported) return { unsupported: plan.reason };
  const threads = Math.max(1, Math.min(options.threads ?? 1, batchSize));
  if (threads === 1) return singleThreadTrainer(model, plan.layers, batchSize);
  return threadedTrainer(model, plan.layers, batchSize, threads);
}

function singleThreadTrainer(model: tfl.LayersModel, layers: readonly LayerPlan[], batchSize: number): KernelTrainer {
  const network = new KernelNetwork(layers, batchSize);
  return {
    threads: 1,
    start(globals) {
      network.setWeights(getFlatWeights(model));
      network.rememberGlobals(globals);
    },
    async step(examples, indices, learningRate, mu) {
      network.loadBatch(examples.features, examples.labels, indices, examples.featureScale);
      const result = network.computeGradients();
      network.applyGradients(learningRate, mu);
      return result;
    },
    finish() {
      const weights = network.getWeights();
      setFlatWeights(model, weights);
      return weights;
    },
    async close() {},
  };
}

const shared = (floats: number) => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, floats)));

/**
 * Data-parallel SGD over `threads` threads: this thread and `threads − 1` workers each hold a `KernelNetwork` for
 * ⌈batch / threads⌉ examples. Per step, every thread loads the shared weights, computes the gradient of its share
 * (divided by the whole batch's size) into its shared slot; then each thread sums the slots over its range of
 * weights and applies the SGD step there. The result equals the single-thread step up to float32 summation order.
 */
interface ThreadPool {
  readonly network: KernelNetwork;
  readonly weights: Float32Array;
  readonly globals: Float32Array;
  readonly gradients: Float32Array;
  readonly workers: { worker: Worker; features: Float32Array; labels: Int32Array }[];
  busy: boolean;
}

/**
 * Worker threads kept between trainings (one pool per layer plan, share size and thread count): starting a worker
 * and compiling its kernels costs more CPU than many steps, and a trainer trains again every round. Idle workers
 * are unreferenced, so they never keep the process alive.
 */
const pools = new Map<string, ThreadPool[]>();

function threadPool(layers: readonly LayerPlan[], capacity: number, threads: number): ThreadPool {
  const key = JSON.stringify({ layers, capacity, threads });
  const existing = pools.get(key) ?? [];
  pools.set(key, existing);
  const idle = existing.find((pool) => !pool.busy);
  if (idle !== undefined) {
    idle.busy = true;
    return idle;
  }
  const network = new KernelNetwork(layers, capacity);
  const size = network.size;
  const weights = shared(size);
  const globals = shared(size);
  const gradients = shared(threads * size);
  const { url, execArgv } = threadEntry(import.meta.url, "kernel-thread");
  const workers = Array.from({ length: threads - 1 }, (_, i) => {
    const features = shared(capacity * inputSizeOf(layers));
    const labels = new Int32Array(new SharedArrayBuffer(4 * capacity));
    const data: KernelThreadInit = {
      layers,
      capacity,
      weights,
      globals,
      gradients,
      slot: i + 1,
      threads,
      features,
      labels,
    };
    const worker = new Worker(url, { workerData: data, ...(execArgv === undefined ? {} : { execArgv }) });
    worker.unref();
    worker.on("error", () => {
      // A failed thread retires its pool; the step that was waiting on it rejects (see `ask`).
      const list = pools.get(key) ?? [];
      pools.set(
        key,
        list.filter((pool) => pool !== created),
      );
    });
    return { worker, features, labels };
  });
  const created: ThreadPool = { network, weights, globals, gradients, workers, busy: true };
  existing.push(created);
  return created;
}

function threadedTrainer(
  model: tfl.LayersModel,
  layers: readonly LayerPlan[],
  batchSize: number,
  threads: number,
): KernelTrainer {
  const capacity = Math.ceil(batchSize / threads);
  const pool = threadPool(layers, capacity, threads);
  const { network, weights, globals, gradients, workers } = pool;
  const size = network.size;
  const own = gradients.subarray(0, size);
  /** Sends a request and waits for the reply; a thread that fails or exits instead rejects. */
  const ask = async (worker: Worker, request: object): Promise<KernelThreadReply> => {
    const answer = await new Promise<KernelThreadReply>((resolve, reject) => {
      const settle = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        worker.unref();
      };
      const onMessage = (message: KernelThreadReply) => {
        settle();
        resolve(message);
      };
      const onError = (error: Error) => {
        settle();
        reject(error);
      };
      const onExit = (code: number) => {
        settle();
        reject(new Error(`a kernel training thread exited (code ${code}) before answering`));
      };
      worker.once("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      worker.ref();
      worker.postMessage(request);
    });
    if (answer.type === "error") throw new Error(`kernel training thread: ${answer.message}`);
    return answer;
  };
  const range = (t: number) => [Math.floor((t * size) / threads), Math.floor(((t + 1) * size) / threads)] as const;
  return {
    threads,
    start(start) {
      weights.set(getFlatWeights(model));
      globals.set(start ?? weights);
    },
    async step(examples, indices, learningRate, mu) {
      const n = indices.length;
      const inputSize = featureSize(examples);
      const scale = examples.featureScale;
      const share = (t: number) => Array.from(indices).slice(t * capacity, Math.min(n, (t + 1) * capacity));
      const asked = workers.map(({ worker, features, labels }, i) => {
        const members = share(i + 1);
        members.forEach((index, j) => {
          for (let k = 0; k < inputSize; k++) {
            features[j * inputSize + k] = (examples.features[index * inputSize + k] as number) * scale;
          }
          labels[j] = examples.labels[index] as number;
        });
        return ask(worker, { type: "gradients", count: members.length, divisor: n });
      });
      let loss = 0;
      let correct = 0;
      const mine = share(0);
      if (mine.length === 0) own.fill(0);
      else {
        network.setWeights(weights);
        network.loadBatch(examples.features, examples.labels, mine, scale);
        const result = network.computeGradients(n);
        network.getGradients(own);
        loss += result.loss;
        correct += result.correct;
      }
      for (const reply of await Promise.all(asked)) {
        if (reply.type === "gradients") {
          loss += reply.loss;
          correct += reply.correct;
        }
      }
      const updates = workers.map(({ worker }, i) => {
        const [from, to] = range(i + 1);
        return ask(worker, { type: "update", from, to, learningRate, mu });
      });
      const [from, to] = range(0);
      updateRange({ weights, globals, gradients, threads }, from, to, learningRate, mu);
      await Promise.all(updates);
      return { loss, correct };
    },
    finish() {
      const result = weights.slice();
      setFlatWeights(model, result);
      return result;
    },
    async close() {
      pool.busy = false;
    },
  };
}

/** Floats per example entering the first layer. */
function inputSizeOf(layers: readonly LayerPlan[]): number {
  const first = layers[0];
  if (first === undefined) return 0;
  if (first.kind === "dense") return first.inputs;
  if (first.kind === "conv") return first.inH * first.inW * first.inC;
  return first.inH * first.inW * first.channels;
}

/**
 * Where a kernel training step of `model` spends its CPU time: runs `steps` steps on examples `indices` (one batch)
 * and returns CPU milliseconds per step for each named part (parts nest: a layer's backward includes its GEMMs).
 * For `bench:training`'s profile. Throws when the kernels do not cover the model.
 */
export function profileKernelStep(
  model: tfl.LayersModel,
  examples: LabelledExamples,
  indices: ArrayLike<number>,
  steps: number,
): Map<string, number> {
  const plan = planKernelTraining(modelSpecOf(model));
  if (!plan.supported) throw new Error(`the kernels do not cover this model: ${plan.reason}`);
  const network = new KernelNetwork(plan.layers, indices.length);
  network.setWeights(getFlatWeights(model));
  network.rememberGlobals();
  network.loadBatch(examples.features, examples.labels, indices, examples.featureScale);
  return network.profileParts(steps, 0.01);
}
