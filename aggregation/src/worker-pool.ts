import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { arenaAllocate, arenaMemory } from "./vector-arena.js";
import {
  WEIGHTED_SUM_BLOCK,
  WEIGHTED_SUM_GROUP,
  WEIGHTED_SUM_LAYOUT,
  weightedSumDirectModule,
  weightedSumModule,
} from "./weighted-sum-kernel.js";
import type {
  DirectScratch,
  HelperData,
  HelperReply,
  HelperRequest,
  WeightedSumLayout,
} from "./weighted-sum-worker.js";

/**
 * Helper threads for the weighted sum: one fewer than the cores (the calling thread is the other), at least one.
 * They are unref'd while idle, so they never keep a process alive, and `stopAggregationWorkers()` ends them.
 */
interface Helper {
  readonly worker: Worker;
  ready: boolean;
  failed: boolean;
  /** Whether the vector arena (and this helper's scratch in it) has been sent. */
  attached: boolean;
  readonly started: Promise<void>;
  readonly pending: Map<number, { resolve: (finite: boolean) => void; reject: (error: Error) => void }>;
}

const helpers: Helper[] = [];
const stats = new Int32Array(new SharedArrayBuffer(4));
let nextId = 1;

export const WEIGHTED_SUM_WORKER_LAYOUT: WeightedSumLayout = {
  block: WEIGHTED_SUM_BLOCK,
  group: WEIGHTED_SUM_GROUP,
  ...WEIGHTED_SUM_LAYOUT,
};

function workerUrl(): URL {
  // Sources run as .ts (tsx, vitest, Node type stripping); the build runs as .js.
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./weighted-sum-worker${extension}`, import.meta.url);
}

function spawnHelper(): Helper {
  const data: HelperData = {
    tributaryWeightedSumHelper: true,
    module: weightedSumModule(),
    layout: WEIGHTED_SUM_WORKER_LAYOUT,
    stats,
  };
  const worker = new Worker(workerUrl(), { workerData: data });
  worker.unref();
  let markStarted: () => void = () => undefined;
  let markFailed: (error: Error) => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve;
    markFailed = reject;
  });
  started.catch(() => undefined);
  const helper: Helper = { worker, ready: false, failed: false, attached: false, started, pending: new Map() };
  const fail = (error: Error): void => {
    helper.failed = true;
    helper.ready = false;
    markFailed(error);
    for (const { reject } of helper.pending.values()) reject(error);
    helper.pending.clear();
    const index = helpers.indexOf(helper);
    if (index >= 0) helpers.splice(index, 1);
  };
  worker.on("message", (reply: HelperReply) => {
    if (reply.type === "ready") {
      helper.ready = true;
      markStarted();
      return;
    }
    const waiter = helper.pending.get(reply.id);
    if (waiter === undefined) return;
    helper.pending.delete(reply.id);
    if (helper.pending.size === 0) worker.unref();
    if (reply.type === "done") waiter.resolve(reply.finite);
    else waiter.reject(new Error(reply.message));
  });
  worker.on("error", (error: Error) => fail(error));
  worker.on("exit", (code) => fail(new Error(`aggregation worker exited with code ${code}`)));
  return helper;
}

/** Default helper count: cores − 1, at least 1, at most 7. */
export function defaultWorkerCount(): number {
  return Math.min(7, Math.max(1, availableParallelism() - 1));
}

/** Starts the helper threads (idempotent) and resolves once they can take work. */
export async function startAggregationWorkers(count: number = defaultWorkerCount()): Promise<void> {
  while (helpers.length < count) helpers.push(spawnHelper());
  await Promise.all(helpers.map((helper) => helper.started));
}

/** Starts the helpers in the background if none exist; they join later calls once ready. */
export function warmAggregationWorkers(): void {
  if (helpers.length === 0) void startAggregationWorkers().catch(() => undefined);
}

/** Terminates every helper thread. */
export async function stopAggregationWorkers(): Promise<void> {
  const all = helpers.splice(0, helpers.length);
  await Promise.all(all.map((helper) => helper.worker.terminate()));
}

/** Helpers that finished starting and have not failed. */
export function readyHelpers(): readonly Helper[] {
  return helpers.filter((helper) => helper.ready && !helper.failed);
}

/**
 * Scratch for one thread's direct kernel inside the arena (float64 block, float32 block, weights), or null when
 * the arena is unavailable or full. Allocated once per thread and never freed.
 */
export function allocateDirectScratch(): DirectScratch | null {
  const block = WEIGHTED_SUM_BLOCK + 4;
  const acc = arenaAllocate(block * 8);
  const out = arenaAllocate(block * 4);
  const weights = arenaAllocate(WEIGHTED_SUM_GROUP * 8);
  return acc === null || out === null || weights === null ? null : { acc, out, weights };
}

/** Sends the arena to ready helpers that do not have it yet; returns the helpers able to run direct jobs. */
export function helpersWithArena(): readonly Helper[] {
  const memory = arenaMemory();
  if (memory === null) return [];
  for (const helper of readyHelpers()) {
    if (helper.attached) continue;
    const scratch = allocateDirectScratch();
    if (scratch === null) continue;
    helper.worker.postMessage({
      type: "attach",
      module: weightedSumDirectModule(),
      memory,
      scratch,
    } satisfies HelperRequest);
    helper.attached = true;
  }
  return readyHelpers().filter((helper) => helper.attached);
}

/** Posts a dynamic "claim chunks" job to every ready helper (fire and forget; completion is tracked in shared memory). */
export function postClaimJob(request: Extract<HelperRequest, { type: "claim" }>, to: readonly Helper[]): number {
  for (const helper of to) helper.worker.postMessage(request);
  return to.length;
}

/** Runs a static range on one helper; resolves when it is done, with whether every output was finite. */
export function runRangeOnHelper(
  helper: Helper,
  request: Omit<Extract<HelperRequest, { type: "range" }>, "id">,
): Promise<boolean> {
  const id = nextId++;
  return new Promise<boolean>((resolve, reject) => {
    helper.pending.set(id, { resolve, reject });
    helper.worker.ref();
    helper.worker.postMessage({ ...request, id } satisfies HelperRequest);
  });
}

/** Counters for tests and benchmarks. */
export function aggregationWorkerStats(): { workers: number; ready: number; helperTasks: number } {
  return { workers: helpers.length, ready: readyHelpers().length, helperTasks: Atomics.load(stats, 0) };
}
