import { z } from "zod";
import { requireFinite, requireVectors } from "./check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "./errors.js";
import {
  decodeFloat64,
  encodeFloat64,
  parseOrThrow,
  type ServerOptimizer,
  type ServerOptimizerState,
  ServerOptimizerStateSchema,
} from "./server-optimizer-state.js";

export const FedAvgMOptionsSchema = z.strictObject({
  /** Server learning rate η. */
  serverLr: z.number().positive().max(100).default(1),
  /** Server momentum β ∈ [0, 1). */
  momentum: z.number().min(0).lt(1).default(0.9),
});
export type FedAvgMOptions = z.input<typeof FedAvgMOptionsSchema>;

/**
 * FedAvg with server momentum (Hsu et al. 2019; the FedOpt framework of Reddi et al. 2021 with SGD-momentum as
 * the server optimiser): Δ = aggregate − global, m ← β·m + Δ (m starts at 0), global ← global + η·m.
 * With η = 1 and β = 0 this is plain FedAvg (the new global model is the aggregate).
 */
export class FedAvgM implements ServerOptimizer {
  readonly kind = "fedavgm" as const;
  readonly options: z.output<typeof FedAvgMOptionsSchema>;
  #steps = 0;
  #m: Float64Array | null = null;

  constructor(options: FedAvgMOptions = {}) {
    this.options = parseOrThrow(FedAvgMOptionsSchema, options, "FedAvgM options");
  }

  get steps(): number {
    return this.#steps;
  }

  step(global: Float32Array, aggregate: Float32Array): Float32Array {
    const length = requireVectors("FedAvgM.step", [global, aggregate]);
    if (this.#m !== null && this.#m.length !== length) {
      throw new InvalidUpdateError("length", `FedAvgM.step: the state has ${this.#m.length} values, got ${length}`, {
        expected: this.#m.length,
        actual: length,
      });
    }
    requireFinite("FedAvgM.step", [global, aggregate]);
    const { serverLr, momentum } = this.options;
    const m = this.#m ?? new Float64Array(length);
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const x = global[i] as number;
      const mi = momentum * (m[i] as number) + ((aggregate[i] as number) - x);
      m[i] = mi;
      out[i] = x + serverLr * mi;
    }
    this.#m = m;
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
      v: null,
    };
  }

  toJSON(): ServerOptimizerState {
    return this.state();
  }

  /** Rebuilds an optimiser from `state()` output (parsed: this is a boundary). */
  static fromState(input: unknown): FedAvgM {
    const state = parseOrThrow(ServerOptimizerStateSchema, input, "FedAvgM state");
    if (state.kind !== "fedavgm") {
      throw new AggregationInputError(`FedAvgM.fromState: state is for ${state.kind}`, { kind: state.kind });
    }
    const optimizer = new FedAvgM(state.options);
    optimizer.#m = decodeFloat64(state.m, state.length, "FedAvgM state m");
    optimizer.#steps = state.steps;
    return optimizer;
  }
}
