import type { LayerPlan } from "./kernel-plan.js";

/**
 * Messages between a `KernelTrainer` and its worker threads (one process, our own code on both sides: the
 * buffers are shared memory, so no message carries data beyond a few numbers).
 */
export interface KernelThreadInit {
  readonly layers: readonly LayerPlan[];
  readonly capacity: number;
  /** The weights every thread starts each step from, flat in tfjs order (shared). */
  readonly weights: Float32Array;
  /** w_global for the FedProx term (shared). */
  readonly globals: Float32Array;
  /** One gradient slot per thread, `threads × size` floats (shared); thread t writes slot t. */
  readonly gradients: Float32Array;
  readonly slot: number;
  readonly threads: number;
  /** This thread's share of the batch: scaled features and labels, written by the trainer before each step. */
  readonly features: Float32Array;
  readonly labels: Int32Array;
}

export type KernelThreadRequest =
  | { readonly type: "gradients"; readonly count: number; readonly divisor: number }
  | {
      readonly type: "update";
      readonly from: number;
      readonly to: number;
      readonly learningRate: number;
      readonly mu: number;
    };

export type KernelThreadReply =
  | { readonly type: "gradients"; readonly loss: number; readonly correct: number }
  | { readonly type: "update" }
  | { readonly type: "error"; readonly message: string };

/**
 * w[i] ← w[i] − lr·(Σ_t g_t[i] + μ(w[i] − w_global[i])) for i in [from, to): the threads' gradient slots summed
 * (each already divided by the whole batch's size) and the SGD step with the FedProx term, on shared weights.
 */
export function updateRange(
  init: Omit<KernelThreadInit, "layers" | "capacity" | "slot" | "features" | "labels">,
  from: number,
  to: number,
  learningRate: number,
  mu: number,
): void {
  const { weights, globals, gradients, threads } = init;
  const size = weights.length;
  for (let i = from; i < to; i++) {
    let g = 0;
    for (let t = 0; t < threads; t++) g += gradients[t * size + i] as number;
    const w = weights[i] as number;
    if (mu > 0) g += mu * (w - (globals[i] as number));
    weights[i] = w - learningRate * g;
  }
}
