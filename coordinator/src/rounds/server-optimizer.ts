import {
  FedAdagrad,
  FedAdam,
  FedAvgM,
  FedYogi,
  restoreServerOptimizer,
  type ServerOptimizer,
} from "@tributary/aggregation";
import type { StrategySpec } from "@tributary/protocol";
import type { RoundResult } from "./aggregate-round.js";

type AdaptiveStrategy = Extract<StrategySpec, { name: "fedavgm" | "fedadagrad" | "fedadam" | "fedyogi" }>;

function create(strategy: AdaptiveStrategy): ServerOptimizer {
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
 * (JSON bytes in the blob store), so a restarted coordinator continues with the same moments.
 */
export function serverOptimizer(strategy: AdaptiveStrategy, state: Uint8Array | null) {
  const optimizer =
    state === null ? create(strategy) : restoreServerOptimizer(JSON.parse(Buffer.from(state).toString("utf8")));
  return {
    step(global: Float32Array, averageDelta: Float32Array): Omit<RoundResult, "selected"> {
      const aggregate = new Float32Array(global.length);
      for (let index = 0; index < global.length; index++)
        aggregate[index] = (global[index] as number) + (averageDelta[index] as number);
      const next = optimizer.step(global, aggregate);
      return { global: next, optimizerState: Buffer.from(JSON.stringify(optimizer.state()), "utf8") };
    },
  };
}
