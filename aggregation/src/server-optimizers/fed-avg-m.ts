import { z } from "zod";
import { type Moments, parseOrThrow, ServerOptimizer } from "./server-optimizer.js";

export const FedAvgMOptionsSchema = z.strictObject({
  /** Server learning rate η. */
  serverLr: z.number().positive().max(100).default(1),
  /** Server momentum β ∈ [0, 1). */
  momentum: z.number().min(0).lt(1).default(0.9),
});
export type FedAvgMOptions = z.input<typeof FedAvgMOptionsSchema>;

/**
 * FedAvg with server momentum (Hsu et al. 2019; the FedOpt framework of Reddi et al. 2021 with SGD-momentum as
 * the server optimiser), from the averaged delta Δ: m ← β·m + Δ (m starts at 0), global ← global + η·m.
 * With η = 1 and β = 0 this is plain FedAvg (the new global model is global + Δ).
 */
export class FedAvgM extends ServerOptimizer {
  readonly kind = "fedavgm" as const;
  readonly options: z.output<typeof FedAvgMOptionsSchema>;
  protected readonly hasSecondMoment = false;

  constructor(options: FedAvgMOptions = {}) {
    super();
    this.options = parseOrThrow(FedAvgMOptionsSchema, options, "FedAvgM options");
  }

  protected update(global: Float32Array, delta: Float32Array, { m }: Moments, out: Float32Array): void {
    const { serverLr, momentum } = this.options;
    for (let i = 0; i < out.length; i++) {
      const mi = momentum * (m[i] as number) + (delta[i] as number);
      m[i] = mi;
      out[i] = (global[i] as number) + serverLr * mi;
    }
  }
}
