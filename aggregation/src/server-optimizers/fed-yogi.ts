import type { z } from "zod";
import { AdaptiveServerOptimizer, adaptiveOptionsSchema } from "./adaptive-server-optimizer.js";
import { parseOrThrow } from "./server-optimizer.js";

export const FedYogiOptionsSchema = adaptiveOptionsSchema({ serverLr: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
export type FedYogiOptions = z.input<typeof FedYogiOptionsSchema>;

/** FedYogi (Reddi et al. 2021): v ← v − (1 − β2)·Δ²·sign(v − Δ²). */
export class FedYogi extends AdaptiveServerOptimizer {
  readonly kind = "fedyogi" as const;

  constructor(options: FedYogiOptions = {}) {
    super(parseOrThrow(FedYogiOptionsSchema, options, "FedYogi options"));
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    return v - (1 - this.options.beta2) * deltaSquared * Math.sign(v - deltaSquared);
  }
}
