import { FedAdagrad } from "./fed-adagrad.js";
import { FedAdam } from "./fed-adam.js";
import { FedAvgM } from "./fed-avg-m.js";
import { FedYogi } from "./fed-yogi.js";
import { parseOrThrow, type ServerOptimizer, ServerOptimizerStateSchema } from "./server-optimizer.js";

/** Rebuilds whichever server optimiser `state` (from `optimizer.state()` / JSON) belongs to. */
export function restoreServerOptimizer(input: unknown): ServerOptimizer {
  const state = parseOrThrow(ServerOptimizerStateSchema, input, "server optimiser state");
  switch (state.kind) {
    case "fedavgm":
      return FedAvgM.fromState(state);
    case "fedadagrad":
      return FedAdagrad.fromState(state);
    case "fedadam":
      return FedAdam.fromState(state);
    case "fedyogi":
      return FedYogi.fromState(state);
  }
}
