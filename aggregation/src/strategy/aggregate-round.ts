import type { StrategySpec } from "@tributary/protocol";
import { AggregationInputError } from "../errors.js";
import { createFedAvgAccumulator } from "../fed-avg/fed-avg-accumulator.js";
import { bulyan } from "../robust/bulyan.js";
import { centredClipping } from "../robust/centred-clipping.js";
import { coordinateMedian } from "../robust/coordinate-median.js";
import { flTrust } from "../robust/fltrust.js";
import { krum, multiKrum } from "../robust/krum.js";
import { trimmedMean } from "../robust/trimmed-mean.js";
import { FedAdagrad } from "../server-optimizers/fed-adagrad.js";
import { FedAdam } from "../server-optimizers/fed-adam.js";
import { FedAvgM } from "../server-optimizers/fed-avg-m.js";
import { FedYogi } from "../server-optimizers/fed-yogi.js";
import { restoreServerOptimizer } from "../server-optimizers/restore-server-optimizer.js";
import type { ServerOptimizer } from "../server-optimizers/server-optimizer.js";

/** One accepted update: the trainer's change to the global model and the examples it trained on. */
export interface RoundDelta {
  readonly delta: Float32Array;
  readonly numExamples: number;
}

export interface RoundResult {
  readonly global: Float32Array;
  /**
   * State carried to the next round: the server optimiser's (adaptive strategies), as UTF-8 JSON; for centred
   * clipping the round's aggregate delta (the next round's starting centre), as little-endian float32.
   */
  readonly optimizerState: Uint8Array | null;
  /** Indices (in input order) of the deltas the rule used; null when it used all of them. */
  readonly selected: readonly number[] | null;
}

type OptimizerStrategy = Extract<StrategySpec, { name: "fedavgm" | "fedadagrad" | "fedadam" | "fedyogi" }>;
type CentredClippingStrategy = Extract<StrategySpec, { name: "centredclip" }>;
type RobustStrategy = Exclude<
  StrategySpec,
  { name: "fedavg" | "fltrust" } | OptimizerStrategy | CentredClippingStrategy
>;

/** What a rule needs beyond the round's deltas. */
export interface AggregateRoundOptions {
  /**
   * FLTrust's server update g₀: the change the server's own training on the root dataset made to `global` this
   * round (required for `fltrust`, unused otherwise).
   */
  readonly serverUpdate?: Float32Array;
}

function add(global: Float32Array, delta: Float32Array): Float32Array {
  const next = new Float32Array(global.length);
  for (let index = 0; index < global.length; index++)
    next[index] = (global[index] as number) + (delta[index] as number);
  return next;
}

function createServerOptimizer(strategy: OptimizerStrategy): ServerOptimizer {
  const { name, ...options } = strategy;
  switch (name) {
    case "fedavgm":
      return new FedAvgM(options);
    case "fedadagrad":
      return new FedAdagrad(options);
    case "fedadam":
      return new FedAdam(options);
    case "fedyogi":
      return new FedYogi(options);
  }
}

/**
 * The job's server optimiser (Reddi et al. 2021), restored from the state persisted after the previous round
 * (UTF-8 JSON), so a restarted coordinator continues with the same moments; a fresh one for the first round.
 */
function serverOptimizer(strategy: OptimizerStrategy, state: Uint8Array | null): ServerOptimizer {
  if (state === null) return createServerOptimizer(strategy);
  return restoreServerOptimizer(JSON.parse(new TextDecoder().decode(state)));
}

function robustAggregate(
  strategy: RobustStrategy,
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

/** The previous round's aggregate delta, persisted as little-endian float32 (null or mis-sized: start at 0). */
function previousCentre(state: Uint8Array | null, length: number): Float32Array | null {
  if (state === null || state.byteLength !== length * 4) return null;
  const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const centre = new Float32Array(length);
  for (let j = 0; j < length; j++) centre[j] = view.getFloat32(j * 4, true);
  return centre;
}

function centreBytes(aggregate: Float32Array): Uint8Array {
  const bytes = new Uint8Array(aggregate.length * 4);
  const view = new DataView(bytes.buffer);
  for (let j = 0; j < aggregate.length; j++) view.setFloat32(j * 4, aggregate[j] as number, true);
  return bytes;
}

/**
 * Turns a round's deltas into the next global model with the job's strategy. FedAvg and the server optimisers
 * stream the deltas through one accumulator (memory O(model) whatever the number of trainers) and step from
 * the averaged delta; the robust rules need every delta at once. Centred clipping starts from the previous round's aggregate delta,
 * carried in `optimizerState`; FLTrust weighs the deltas against `options.serverUpdate` and reports the updates it
 * gave trust 0 (pointing 90° or more away from the server's) as not selected. Robust rules are applied to deltas: Krum's
 * distances, medians and trimmed means are unchanged by the common translation to the global model.
 */
export async function aggregateRound(
  strategy: StrategySpec,
  global: Float32Array,
  optimizerState: Uint8Array | null,
  deltas: () => AsyncIterable<RoundDelta>,
  options: AggregateRoundOptions = {},
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
      if (strategy.name === "fedavg") {
        return { global: add(global, averageDelta), optimizerState: null, selected: null };
      }
      const optimizer = serverOptimizer(strategy, optimizerState);
      const next = optimizer.stepDelta(global, averageDelta);
      const state = new TextEncoder().encode(JSON.stringify(optimizer.state()));
      return { global: next, optimizerState: state, selected: null };
    }
    case "centredclip": {
      const all: Float32Array[] = [];
      for await (const { delta } of deltas()) all.push(delta);
      const aggregate = centredClipping(all, {
        tau: strategy.tau,
        iterations: strategy.iterations,
        centre: previousCentre(optimizerState, global.length),
      });
      return { global: add(global, aggregate), optimizerState: centreBytes(aggregate), selected: null };
    }
    case "fltrust": {
      if (options.serverUpdate === undefined) {
        throw new AggregationInputError("aggregateRound: fltrust needs the server's update of the round", {
          rule: "flTrust",
        });
      }
      const all: Float32Array[] = [];
      for await (const { delta } of deltas()) all.push(delta);
      const { aggregate, trust } = flTrust(all, options.serverUpdate);
      const selected = [...trust.keys()].filter((index) => (trust[index] as number) > 0);
      return {
        global: add(global, aggregate),
        optimizerState: null,
        selected: selected.length === all.length ? null : selected,
      };
    }
    default: {
      const all: Float32Array[] = [];
      for await (const { delta } of deltas()) all.push(delta);
      const { aggregate, selected } = robustAggregate(strategy, all);
      return { global: add(global, aggregate), optimizerState: null, selected };
    }
  }
}
