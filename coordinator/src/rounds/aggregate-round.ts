import {
  bulyan,
  coordinateMedian,
  createFedAvgAccumulator,
  krum,
  multiKrum,
  trimmedMean,
} from "@tributary/aggregation";
import type { StrategySpec } from "@tributary/protocol";
import { serverOptimizer } from "./server-optimizer.js";

/** One accepted update: the trainer's change to the global model and the examples it trained on. */
export interface RoundDelta {
  readonly delta: Float32Array;
  readonly numExamples: number;
}

export interface RoundResult {
  readonly global: Float32Array;
  /** The server optimiser's state after this round (adaptive strategies only). */
  readonly optimizerState: Uint8Array | null;
  /** Indices (in input order) of the deltas the rule used; null when it used all of them. */
  readonly selected: readonly number[] | null;
}

function add(global: Float32Array, delta: Float32Array): Float32Array {
  const next = new Float32Array(global.length);
  for (let index = 0; index < global.length; index++)
    next[index] = (global[index] as number) + (delta[index] as number);
  return next;
}

/**
 * Turns a round's deltas into the next global model with the job's strategy. FedAvg and the server optimisers
 * stream the deltas through one accumulator (memory O(model) whatever the number of trainers); the robust rules
 * need every delta at once. Robust rules are applied to deltas: Krum's distances, medians and trimmed means are
 * unchanged by the common translation to the global model.
 */
export async function aggregateRound(
  strategy: StrategySpec,
  global: Float32Array,
  optimizerState: Uint8Array | null,
  deltas: () => AsyncIterable<RoundDelta>,
): Promise<RoundResult> {
  switch (strategy.name) {
    case "fedavg":
    case "fedavgm":
    case "fedadagrad":
    case "fedadam":
    case "fedyogi": {
      const accumulator = createFedAvgAccumulator(global.length);
      for await (const { delta, numExamples } of deltas()) accumulator.add(delta, numExamples);
      const averageDelta = accumulator.result();
      if (strategy.name === "fedavg")
        return { global: add(global, averageDelta), optimizerState: null, selected: null };
      return { ...serverOptimizer(strategy, optimizerState).step(global, averageDelta), selected: null };
    }
    default: {
      const all: Float32Array[] = [];
      for await (const { delta } of deltas()) all.push(delta);
      const { aggregate, selected } = robustAggregate(strategy, all);
      return { global: add(global, aggregate), optimizerState: null, selected };
    }
  }
}

function robustAggregate(
  strategy: Exclude<StrategySpec, { name: "fedavg" | "fedavgm" | "fedadagrad" | "fedadam" | "fedyogi" }>,
  vectors: Float32Array[],
): { aggregate: Float32Array; selected: readonly number[] | null } {
  switch (strategy.name) {
    case "krum":
      return krum(vectors, strategy.f);
    case "multikrum":
      return multiKrum(vectors, strategy.f, strategy.m);
    case "trimmedmean":
      return { aggregate: trimmedMean(vectors, strategy.trim), selected: null };
    case "median":
      return { aggregate: coordinateMedian(vectors), selected: null };
    case "bulyan":
      return bulyan(vectors, strategy.f);
  }
}
