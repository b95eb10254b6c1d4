/**
 * The blocked weighted-sum driver, shared by the calling thread and the helper threads. This file is also the
 * helpers' entry point, so it imports nothing relative: Node loads it directly (stripping the types of the `.ts`
 * source, or as compiled `.js`). Compiled kernels, layouts and memories arrive as arguments and messages.
 *
 * Two kernels compute the same float64 chain sum_k w_k x_k[i] (in input order), then divide by the total:
 * - copy: each input's cache block is copied into a slot of the kernel's private memory, then combined;
 * - direct: the inputs already live in the shared vector arena the kernel runs on, so nothing is copied.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";

type Exports = Readonly<Record<string, unknown>>;
interface Memory {
  readonly buffer: ArrayBuffer;
}

/** The WebAssembly global, typed locally (the project's lib has no DOM types). */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (descriptor: { initial: number }) => Memory;
      Instance: new (module: unknown, imports: { env: { memory: Memory } }) => { readonly exports: Exports };
    };
  }
).WebAssembly;

/** Mirror of `WEIGHTED_SUM_LAYOUT` plus the block and group sizes (passed in, not imported). */
export interface WeightedSumLayout {
  readonly block: number;
  readonly group: number;
  readonly acc: number;
  readonly inputs: number;
  readonly out: number;
  readonly weights: number;
  readonly bytes: number;
}

/** Byte offsets of one thread's scratch inside the arena: float64 block, float32 output block, weights. */
export interface DirectScratch {
  readonly acc: number;
  readonly out: number;
  readonly weights: number;
}

type Finish = (acc: number, out: number, count: number, total: number) => void;
type Check = (ptr: number, count: number) => number;
type Combine = (...args: number[]) => void;

interface KernelFunctions {
  readonly set: readonly Combine[];
  readonly add: readonly Combine[];
  readonly finish: Finish;
  readonly check: Check;
}

function functionsOf(exports: Exports, group: number): KernelFunctions {
  const pick = (prefix: string) =>
    Array.from({ length: group + 1 }, (_, g) => exports[`${prefix}${Math.max(g, 1)}`] as Combine);
  return { set: pick("set"), add: pick("add"), finish: exports.finish as Finish, check: exports.check as Check };
}

export interface CopyKernel extends KernelFunctions {
  readonly layout: WeightedSumLayout;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

export interface DirectKernel extends KernelFunctions {
  readonly memory: Memory;
  readonly scratch: DirectScratch;
  readonly block: number;
  readonly group: number;
  /** Reusable argument lists, one per group size: (acc, count, weights, p0, …). */
  readonly args: number[][];
}

/** The copying kernel over a fresh private memory. */
export function instantiateCopyKernel(module: unknown, layout: WeightedSumLayout): CopyKernel {
  const memory = new Wasm.Memory({ initial: Math.ceil(layout.bytes / 65536) });
  const exports = new Wasm.Instance(module, { env: { memory } }).exports;
  return {
    ...functionsOf(exports, layout.group),
    layout,
    f32: new Float32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
  };
}

/** The direct kernel over the shared arena memory, with this thread's scratch. */
export function instantiateDirectKernel(
  module: unknown,
  memory: Memory,
  scratch: DirectScratch,
  block: number,
  group: number,
): DirectKernel {
  const exports = new Wasm.Instance(module, { env: { memory } }).exports;
  const args = Array.from({ length: group + 1 }, (_, g) => new Array<number>(3 + g).fill(0));
  return { ...functionsOf(exports, group), memory, scratch, block, group, args };
}

/**
 * out[i] = float32(sum_k weights[k] * inputs[k][i] / total) for start <= i < end, with the copying kernel.
 * Returns false when some output is NaN or infinite (exactly when some input value is).
 */
export function copyRange(
  kernel: CopyKernel,
  inputs: readonly Float32Array[],
  weights: Float64Array,
  total: number,
  start: number,
  end: number,
  out: Float32Array,
): boolean {
  const { layout, f32, f64, set, add, finish, check } = kernel;
  const { block, group } = layout;
  const slot0 = layout.inputs >> 2;
  const weight0 = layout.weights >> 3;
  const out0 = layout.out >> 2;
  let finite = true;
  for (let b0 = start; b0 < end; b0 += block) {
    const b1 = Math.min(end, b0 + block);
    const n = b1 - b0;
    for (let k = 0; k < inputs.length; k += group) {
      const g = Math.min(group, inputs.length - k);
      for (let j = 0; j < g; j++) {
        f32.set((inputs[k + j] as Float32Array).subarray(b0, b1), slot0 + j * block);
        f64[weight0 + j] = weights[k + j] as number;
      }
      (k === 0 ? set[g] : add[g])?.(layout.acc, layout.inputs, n, layout.weights);
    }
    finish(layout.acc, layout.out, n, total);
    // Lanes past n (to the next multiple of 4) hold leftovers; zero them before the finiteness check.
    f32.fill(0, out0 + n, out0 + ((n + 3) & ~3));
    if (check(layout.out, n) === 0) finite = false;
    out.set(f32.subarray(out0, out0 + n), b0);
  }
  return finite;
}

/** The same as `copyRange` for inputs at byte `offsets` of the arena the direct kernel runs on. */
export function directRange(
  kernel: DirectKernel,
  offsets: Float64Array,
  weights: Float64Array,
  total: number,
  start: number,
  end: number,
  out: Float32Array,
): boolean {
  const { scratch, block, group, set, add, finish, check, args } = kernel;
  const buffer = kernel.memory.buffer;
  const f32 = new Float32Array(buffer, scratch.out, block + 4);
  const f64 = new Float64Array(buffer, scratch.weights, group);
  let finite = true;
  for (let b0 = start; b0 < end; b0 += block) {
    const n = Math.min(end, b0 + block) - b0;
    for (let k = 0; k < offsets.length; k += group) {
      const g = Math.min(group, offsets.length - k);
      const call = args[g] as number[];
      call[0] = scratch.acc;
      call[1] = n;
      call[2] = scratch.weights;
      for (let j = 0; j < g; j++) {
        f64[j] = weights[k + j] as number;
        call[3 + j] = (offsets[k + j] as number) + 4 * b0;
      }
      (k === 0 ? set[g] : add[g])?.(...call);
    }
    finish(scratch.acc, scratch.out, n, total);
    f32.fill(0, n, (n + 3) & ~3);
    if (check(scratch.out, n) === 0) finite = false;
    out.set(f32.subarray(0, n), b0);
  }
  return finite;
}

/** Where a job's inputs are: ordinary arrays (copy kernel) or arena byte offsets (direct kernel). */
export type JobInputs =
  | { readonly kind: "copy"; readonly inputs: readonly Float32Array[] }
  | { readonly kind: "direct"; readonly offsets: Float64Array };

/**
 * A job shared between the calling thread and helpers. `control` (shared Int32Array): [0] next chunk to claim,
 * [1] chunks finished, [2] set to 1 if some output was not finite, [3 + c] who computed chunk c (1 = the caller,
 * into its own output; 2 = a helper, into `shared`).
 */
export interface WeightedSumJob {
  readonly inputs: JobInputs;
  readonly weights: Float64Array;
  readonly total: number;
  readonly length: number;
  readonly chunk: number;
  readonly chunks: number;
  readonly control: Int32Array;
  /** Output written by helpers (SharedArrayBuffer-backed). */
  readonly shared: Float32Array;
}

export interface Kernels {
  readonly copy: CopyKernel;
  direct: DirectKernel | undefined;
}

export const CALLER = 1;
export const HELPER = 2;

/** Computes [start, end) of `job` into `out` with the kernel its inputs need. */
export function computeRange(
  kernels: Kernels,
  job: WeightedSumJob,
  start: number,
  end: number,
  out: Float32Array,
): boolean {
  const { inputs, weights, total } = job;
  if (inputs.kind === "copy") return copyRange(kernels.copy, inputs.inputs, weights, total, start, end, out);
  if (kernels.direct === undefined) throw new Error("weighted sum: the vector arena is not attached to this thread");
  return directRange(kernels.direct, inputs.offsets, weights, total, start, end, out);
}

/** Claims chunks until none are left; returns how many this thread computed. */
export function workOnJob(kernels: Kernels, job: WeightedSumJob, who: number, out: Float32Array): number {
  let done = 0;
  for (;;) {
    const c = Atomics.add(job.control, 0, 1);
    if (c >= job.chunks) return done;
    const start = c * job.chunk;
    if (!computeRange(kernels, job, start, Math.min(job.length, start + job.chunk), out)) {
      Atomics.store(job.control, 2, 1);
    }
    Atomics.store(job.control, 3 + c, who);
    done++;
    if (Atomics.add(job.control, 1, 1) + 1 === job.chunks) Atomics.notify(job.control, 1);
  }
}

/** Messages a helper understands. */
export type HelperRequest =
  | { readonly type: "attach"; readonly module: unknown; readonly memory: Memory; readonly scratch: DirectScratch }
  | { readonly type: "claim"; readonly job: WeightedSumJob }
  | {
      readonly type: "range";
      readonly id: number;
      readonly job: WeightedSumJob;
      readonly start: number;
      readonly end: number;
    };

export type HelperReply =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly id: number; readonly finite: boolean }
  | { readonly type: "failed"; readonly id: number; readonly message: string };

/** Shape of `workerData` for a helper. `stats[0]` counts chunks/ranges computed by helpers. */
export interface HelperData {
  readonly tributaryWeightedSumHelper: true;
  /** The compiled copying module. */
  readonly module: unknown;
  readonly layout: WeightedSumLayout;
  readonly stats: Int32Array;
}

function isHelperData(data: unknown): data is HelperData {
  return typeof data === "object" && data !== null && "tributaryWeightedSumHelper" in data;
}

if (!isMainThread && parentPort !== null && isHelperData(workerData)) {
  const port = parentPort;
  const { module, layout, stats } = workerData;
  const kernels: Kernels = { copy: instantiateCopyKernel(module, layout), direct: undefined };
  port.on("message", (request: HelperRequest) => {
    switch (request.type) {
      case "attach":
        kernels.direct = instantiateDirectKernel(
          request.module,
          request.memory,
          request.scratch,
          layout.block,
          layout.group,
        );
        return;
      case "claim": {
        const done = workOnJob(kernels, request.job, HELPER, request.job.shared);
        if (done > 0) Atomics.add(stats, 0, done);
        return;
      }
      case "range":
        try {
          const { job } = request;
          const finite = computeRange(kernels, job, request.start, request.end, job.shared);
          Atomics.add(stats, 0, 1);
          port.postMessage({ type: "done", id: request.id, finite } satisfies HelperReply);
        } catch (error) {
          port.postMessage({ type: "failed", id: request.id, message: String(error) } satisfies HelperReply);
        }
        return;
    }
  });
  port.postMessage({ type: "ready" } satisfies HelperReply);
}
