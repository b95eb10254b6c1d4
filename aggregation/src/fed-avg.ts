import { nonFiniteError, requireVectors } from "./check-vectors.js";
import { InvalidUpdateError } from "./errors.js";
import { isSharedVector } from "./shared-vector.js";
import { arenaMemory, arenaOffset } from "./vector-arena.js";
import {
  WEIGHTED_SUM_BLOCK,
  WEIGHTED_SUM_GROUP,
  weightedSumDirectModule,
  weightedSumModule,
} from "./weighted-sum-kernel.js";
import {
  CALLER,
  computeRange,
  HELPER,
  instantiateCopyKernel,
  instantiateDirectKernel,
  type JobInputs,
  type Kernels,
  type WeightedSumJob,
  workOnJob,
} from "./weighted-sum-worker.js";
import {
  allocateDirectScratch,
  helpersWithArena,
  postClaimJob,
  readyHelpers,
  runRangeOnHelper,
  startAggregationWorkers,
  WEIGHTED_SUM_WORKER_LAYOUT,
  warmAggregationWorkers,
} from "./worker-pool.js";

/** One trainer's model (a flat vector in the job's layout) and the number of examples it trained on. */
export interface WeightedUpdate {
  readonly weights: Float32Array;
  readonly numExamples: number;
}

export interface FedAvgOptions {
  /**
   * Split the work with the helper threads when every input is shared (update-pool vectors, or
   * `createSharedVector`) and updates × length is at least this many floats (default 2^22, i.e. 16 MB of input).
   */
  readonly parallelThreshold?: number;
}

export const DEFAULT_PARALLEL_THRESHOLD = 1 << 22;
/** A helper that makes no progress for this long is presumed dead; the caller finishes its chunks. */
const STALL_MS = 2_000;

let callerKernels: Kernels | undefined;

/** This thread's kernels; the direct one is created once the arena holds an input. */
function kernels(direct: boolean): Kernels {
  callerKernels ??= { copy: instantiateCopyKernel(weightedSumModule(), WEIGHTED_SUM_WORKER_LAYOUT), direct: undefined };
  if (direct && callerKernels.direct === undefined) {
    const memory = arenaMemory();
    const scratch = allocateDirectScratch();
    if (memory !== null && scratch !== null) {
      callerKernels.direct = instantiateDirectKernel(
        weightedSumDirectModule(),
        memory,
        scratch,
        WEIGHTED_SUM_BLOCK,
        WEIGHTED_SUM_GROUP,
      );
    }
  }
  return callerKernels;
}

interface Prepared {
  readonly rule: string;
  readonly inputs: Float32Array[];
  readonly weights: Float64Array;
  readonly total: number;
  readonly length: number;
}

function prepare(rule: string, updates: ReadonlyArray<WeightedUpdate>): Prepared {
  const inputs = Array.isArray(updates) ? updates.map((update) => update?.weights) : [];
  const length = requireVectors(rule, inputs as Float32Array[]);
  const weights = new Float64Array(updates.length);
  let total = 0;
  updates.forEach((update, index) => {
    const n = update.numExamples;
    if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) {
      throw new InvalidUpdateError("num-examples", `${rule}: update ${index} has numExamples ${n}`, {
        rule,
        update: index,
        numExamples: String(n),
      });
    }
    weights[index] = n;
    total += n;
  });
  if (!Number.isFinite(total)) {
    throw new InvalidUpdateError("num-examples", `${rule}: the example counts sum to ${total}`, { rule });
  }
  return { rule, inputs: inputs as Float32Array[], weights, total, length };
}

/**
 * Coordinates per claimed chunk: at most one kernel block, so the caller never waits long for a helper's last
 * chunk (on a loaded machine a helper can be descheduled mid-chunk), and at least 32 chunks per job.
 */
function chunkSize(length: number): number {
  return Math.min(WEIGHTED_SUM_BLOCK, Math.max(256, Math.ceil(length / 32)));
}

/**
 * Where the inputs are: all in the vector arena (byte offsets, read in place by the direct kernel) or not (the
 * copying kernel). The direct kernel also needs this thread's scratch in the arena.
 */
function locate(inputs: readonly Float32Array[]): JobInputs {
  const offsets = new Float64Array(inputs.length);
  for (let k = 0; k < inputs.length; k++) {
    const offset = arenaOffset(inputs[k] as Float32Array);
    if (offset < 0) return { kind: "copy", inputs };
    offsets[k] = offset;
  }
  return kernels(true).direct === undefined ? { kind: "copy", inputs } : { kind: "direct", offsets };
}

function singleThreaded(prepared: Prepared, located: JobInputs): Float32Array {
  const { rule, inputs, weights, total, length } = prepared;
  const result = new Float32Array(length);
  const job: WeightedSumJob = {
    inputs: located,
    weights,
    total,
    length,
    chunk: length,
    chunks: 1,
    control: new Int32Array(0),
    shared: result,
  };
  if (!computeRange(kernels(located.kind === "direct"), job, 0, length, result)) throw nonFiniteError(rule, inputs);
  return result;
}

/**
 * FedAvg (McMahan et al. 2017): the example-weighted mean sum_k n_k x_k / sum_k n_k of the updates' weights,
 * accumulated in float64 (in input order, so it equals adding the updates one at a time) and rounded to float32.
 *
 * Cache-blocked SIMD kernel. Inputs from an `UpdatePool` (the shared vector arena) are read in place; other
 * inputs are copied block by block into the kernel's memory. When the inputs are shared (pool vectors or
 * `createSharedVector`) and large, ready helper threads claim chunks of the coordinates while this thread works
 * too (it never waits for a helper that has not started). Throws `InvalidUpdateError` for a length mismatch, a
 * bad `numExamples`, or a NaN/±Infinity (naming the update and index).
 */
export function fedAvg(updates: ReadonlyArray<WeightedUpdate>, options: FedAvgOptions = {}): Float32Array {
  const prepared = prepare("fedAvg", updates);
  const located = locate(prepared.inputs);
  const threshold = options.parallelThreshold ?? DEFAULT_PARALLEL_THRESHOLD;
  const large = prepared.inputs.length * prepared.length >= threshold && prepared.length >= 2;
  if (large && (located.kind === "direct" || prepared.inputs.every(isSharedVector))) {
    const helpers = located.kind === "direct" ? helpersWithArena() : readyHelpers();
    if (helpers.length > 0) return sharedFedAvg(prepared, located, helpers);
    warmAggregationWorkers();
  }
  return singleThreaded(prepared, located);
}

function sharedFedAvg(
  prepared: Prepared,
  located: JobInputs,
  helpers: Parameters<typeof postClaimJob>[1],
): Float32Array {
  const { rule, inputs, weights, total, length } = prepared;
  const chunk = chunkSize(length);
  const chunks = Math.ceil(length / chunk);
  const control = new Int32Array(new SharedArrayBuffer(4 * (3 + chunks)));
  const shared = new Float32Array(new SharedArrayBuffer(4 * length));
  const job: WeightedSumJob = { inputs: located, weights, total, length, chunk, chunks, control, shared };
  postClaimJob({ type: "claim", job }, helpers);
  const result = new Float32Array(length);
  const own = kernels(located.kind === "direct");
  workOnJob(own, job, CALLER, result);

  // Wait for chunks a helper is still computing; if one stalls, compute what is unfinished here.
  const recomputed = new Set<number>();
  let seen = Atomics.load(control, 1);
  let lastProgress = performance.now();
  while (seen < chunks) {
    Atomics.wait(control, 1, seen, 50);
    const now = Atomics.load(control, 1);
    if (now !== seen) {
      seen = now;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > STALL_MS) {
      for (let c = 0; c < chunks; c++) {
        if (Atomics.load(control, 3 + c) !== 0) continue;
        const start = c * chunk;
        if (!computeRange(own, job, start, Math.min(length, start + chunk), result)) Atomics.store(control, 2, 1);
        recomputed.add(c);
      }
      break;
    }
  }
  for (let c = 0; c < chunks; c++) {
    if (recomputed.has(c) || Atomics.load(control, 3 + c) !== HELPER) continue;
    const start = c * chunk;
    result.set(shared.subarray(start, Math.min(length, start + chunk)), start);
  }
  if (Atomics.load(control, 2) !== 0) throw nonFiniteError(rule, inputs);
  return result;
}

/**
 * The same result as `fedAvg`, computed with a fixed split between this thread and the helper threads (started
 * on first use). Asynchronous so the helpers' share is awaited rather than blocked on. Inputs that are not all
 * shared (pool vectors or `createSharedVector`) cannot be read by helpers; they are aggregated on this thread.
 */
export async function fedAvgParallel(updates: ReadonlyArray<WeightedUpdate>): Promise<Float32Array> {
  const prepared = prepare("fedAvgParallel", updates);
  const { rule, inputs, weights, total, length } = prepared;
  const located = locate(inputs);
  if ((located.kind === "copy" && !inputs.every(isSharedVector)) || length < 2) {
    return singleThreaded(prepared, located);
  }
  // A machine where helpers cannot start still gets the answer, from this thread alone.
  await startAggregationWorkers().catch(() => undefined);
  const helpers = located.kind === "direct" ? helpersWithArena() : readyHelpers();
  const parts = helpers.length + 1;
  const bounds = Array.from({ length: parts + 1 }, (_, index) => Math.round((index * length) / parts));
  const shared = new Float32Array(new SharedArrayBuffer(4 * length));
  const control = new Int32Array(new SharedArrayBuffer(12));
  const job: WeightedSumJob = { inputs: located, weights, total, length, chunk: length, chunks: 0, control, shared };
  const pending = helpers.map((helper, index) =>
    runRangeOnHelper(helper, {
      type: "range",
      job,
      start: bounds[index + 1] as number,
      end: bounds[index + 2] as number,
    }),
  );
  const result = new Float32Array(length);
  let finite = computeRange(kernels(located.kind === "direct"), job, 0, bounds[1] as number, result);
  const helperFinite = await Promise.all(pending);
  finite &&= helperFinite.every(Boolean);
  result.set(shared.subarray(bounds[1] as number), bounds[1] as number);
  if (!finite) throw nonFiniteError(rule, inputs);
  return result;
}
