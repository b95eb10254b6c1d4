import { z } from "zod";
import { requireFinite, requireVectors } from "./check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "./errors.js";
import {
  decodeFloat64,
  encodeFloat64,
  parseOrThrow,
  type ServerOptimizer,
  type ServerOptimizerKind,
  type ServerOptimizerState,
  ServerOptimizerStateSchema,
} from "./server-optimizer-state.js";

/** Hyper-parameters of the adaptive FedOpt optimisers (Reddi et al. 2021, Algorithm 2). */
export interface AdaptiveOptions {
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
}

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
 * The adaptive server optimisers of Reddi et al. (2021), Algorithm 2, without bias correction:
 *   Δ = aggregate − global;  m ← β1·m + (1 − β1)·Δ;  v ← secondMoment(v, Δ²);
 *   global ← global + η·m / (√v + τ),
 * with m₋₁ = 0 and v₋₁ = initialAccumulator (τ² by default), all in float64, rounded to float32 at the end.
 */
export abstract class AdaptiveServerOptimizer implements ServerOptimizer {
  abstract readonly kind: ServerOptimizerKind;
  readonly options: AdaptiveOptions;
  #steps = 0;
  #m: Float64Array | null = null;
  #v: Float64Array | null = null;

  protected constructor(options: AdaptiveOptions) {
    this.options = options;
  }

  /** v_t from v_{t−1} and Δ² (the only difference between Adagrad, Adam and Yogi). */
  protected abstract secondMoment(v: number, deltaSquared: number): number;

  get steps(): number {
    return this.#steps;
  }

  step(global: Float32Array, aggregate: Float32Array): Float32Array {
    const rule = `${this.constructor.name}.step`;
    const length = requireVectors(rule, [global, aggregate]);
    if (this.#m !== null && this.#m.length !== length) {
      throw new InvalidUpdateError("length", `${rule}: the state has ${this.#m.length} values, got ${length}`, {
        expected: this.#m.length,
        actual: length,
      });
    }
    requireFinite(rule, [global, aggregate]);
    const { serverLr, beta1, tau, initialAccumulator } = this.options;
    const m = this.#m ?? new Float64Array(length);
    const v = this.#v ?? new Float64Array(length).fill(initialAccumulator);
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const x = global[i] as number;
      const delta = (aggregate[i] as number) - x;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * delta;
      const vi = this.secondMoment(v[i] as number, delta * delta);
      m[i] = mi;
      v[i] = vi;
      out[i] = x + (serverLr * mi) / (Math.sqrt(vi) + tau);
    }
    this.#m = m;
    this.#v = v;
    this.#steps++;
    return out;
  }

  state(): ServerOptimizerState {
    return {
      kind: this.kind,
      version: 1,
      options: { ...this.options },
      steps: this.#steps,
      length: this.#m?.length ?? null,
      m: encodeFloat64(this.#m),
      v: encodeFloat64(this.#v),
    };
  }

  toJSON(): ServerOptimizerState {
    return this.state();
  }

  /** Loads moments and step count from a parsed state of this optimiser's kind. */
  protected restore(input: unknown): this {
    const state = parseOrThrow(ServerOptimizerStateSchema, input, `${this.kind} state`);
    if (state.kind !== this.kind) {
      throw new AggregationInputError(`${this.kind} state expected, got ${state.kind}`, { kind: state.kind });
    }
    this.#m = decodeFloat64(state.m, state.length, `${this.kind} state m`);
    this.#v = decodeFloat64(state.v, state.length, `${this.kind} state v`);
    if ((this.#m === null) !== (this.#v === null)) {
      throw new AggregationInputError(`${this.kind} state: m and v must both be present or both null`, {});
    }
    this.#steps = state.steps;
    return this;
  }
}
