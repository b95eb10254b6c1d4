import type { StrategySpec } from "@tributary/protocol";

/**
 * The fewest updates a round needs for the job's aggregation rule to be defined (Krum: n ≥ 2f + 3, Bulyan:
 * n ≥ 4f + 3, trimmed mean: n > 2·trim, Multi-Krum: also m ≤ n − f; median, centred clipping and the FedAvg family
 * are defined for any n ≥ 1, their robustness needing an honest majority). A job whose `clients.min` is below this is
 * refused at creation instead of failing in its first round.
 */
export function minimumUpdates(strategy: StrategySpec): number {
  switch (strategy.name) {
    case "krum":
      return 2 * strategy.f + 3;
    case "multikrum":
      return Math.max(2 * strategy.f + 3, strategy.m + strategy.f);
    case "bulyan":
      return 4 * strategy.f + 3;
    case "trimmedmean":
      return 2 * strategy.trim + 1;
    default:
      return 1;
  }
}
