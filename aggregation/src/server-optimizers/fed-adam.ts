import type { z } from "zod";
import { AdaptiveServerOptimizer, adaptiveOptionsSchema } from "./adaptive-server-optimizer.js";
import { parseOrThrow } from "./server-optimizer.js";

export const FedAdamOptionsSchema = adaptiveOptionsSchema({ serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
export type FedAdamOptions = z.input<typeof FedAdamOptionsSchema>;

/** FedAdam (Reddi et al. 2021): v ← β2·v + (1 − β2)·Δ². */
export class FedAdam extends AdaptiveServerOptimizer {
  readonly kind = "fedadam" as const;

  constructor(options: FedAdamOptions = {}) {
    super(parseOrThrow(FedAdamOptionsSchema, options, "FedAdam options"));
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    const { beta2 } = this.options;
    return beta2 * v + (1 - beta2) * deltaSquared;
  }
}
