import type { z } from "zod";
import { AdaptiveServerOptimizer, adaptiveOptionsSchema } from "./adaptive-server-optimizer.js";
import { parseOrThrow } from "./server-optimizer.js";

export const FedAdagradOptionsSchema = adaptiveOptionsSchema({ serverLr: 0.1, beta1: 0, beta2: 0, tau: 1e-3 });
export type FedAdagradOptions = z.input<typeof FedAdagradOptionsSchema>;

/** FedAdagrad (Reddi et al. 2021): v ← v + Δ². β1 defaults to 0 (no server momentum), as in Flower. */
export class FedAdagrad extends AdaptiveServerOptimizer {
  readonly kind = "fedadagrad" as const;

  constructor(options: FedAdagradOptions = {}) {
    super(parseOrThrow(FedAdagradOptionsSchema, options, "FedAdagrad options"));
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    return v + deltaSquared;
  }
}
