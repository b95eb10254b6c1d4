import { z } from "zod";
import { type Moments, ServerOptimizer } from "./server-optimizer.js";

/** Hyper-parameters of the adaptive FedOpt optimisers (Reddi et al. 2021, Algorithm 2). */
export type AdaptiveOptions = {
  /** Server learning rate η. */
  readonly serverLr: number;
  /** First-moment decay β1 ∈ [0, 1). */
  readonly beta1: number;
  /** Second-moment decay β2 ∈ [0, 1) (unused by FedAdagrad). */
  readonly beta2: number;
  /** Adaptivity τ > 0, added to √v in the denominator. */
  readonly tau: number;
  /** v₋₁, the starting second moment; the paper asks v₋₁ ≥ τ², the default. */
  readonly initialAccumulator: number;
};

export function adaptiveOptionsSchema(defaults: { serverLr: number; beta1: number; beta2: number; tau: number }) {
  return z
    .strictObject({
      serverLr: z.number().positive().max(100).default(defaults.serverLr),
      beta1: z.number().min(0).lt(1).default(defaults.beta1),
      beta2: z.number().min(0).lt(1).default(defaults.beta2),
      tau: z.number().positive().refine(Number.isFinite, "must be finite").default(defaults.tau),
      initialAccumulator: z.number().nonnegative().optional(),
    })
    .transform(
      (options): AdaptiveOptions => ({
        ...options,
        initialAccumulator: options.initialAccumulator ?? options.tau ** 2,
      }),
    );
}

/**
 * The adaptive server optimisers of Reddi et al. (2021), Algorithm 2, without bias correction, from the
 * averaged delta Δ:
 *   m ← β1·m + (1 − β1)·Δ;  v ← secondMoment(v, Δ²);  global ← global + η·m / (√v + τ),
 * with m₋₁ = 0 and v₋₁ = initialAccumulator (τ² by default), all in float64, rounded to float32 at the end.
 */
export abstract class AdaptiveServerOptimizer extends ServerOptimizer {
  readonly options: AdaptiveOptions;
  protected readonly hasSecondMoment = true;

  protected constructor(options: AdaptiveOptions) {
    super();
    this.options = options;
  }

  /** v_t from v_{t−1} and Δ² (the only difference between Adagrad, Adam and Yogi). */
  protected abstract secondMoment(v: number, deltaSquared: number): number;

  protected override initialSecondMoment(): number {
    return this.options.initialAccumulator;
  }

  protected update(global: Float32Array, delta: Float32Array, { m, v }: Moments, out: Float32Array): void {
    const { serverLr, beta1, tau } = this.options;
    const second = v as Float64Array;
    for (let i = 0; i < out.length; i++) {
      const d = delta[i] as number;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * d;
      const vi = this.secondMoment(second[i] as number, d * d);
      m[i] = mi;
      second[i] = vi;
      out[i] = (global[i] as number) + (serverLr * mi) / (Math.sqrt(vi) + tau);
    }
  }
}
