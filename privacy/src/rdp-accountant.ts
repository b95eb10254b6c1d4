import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { GaussianStepHistory, type GaussianSteps, GaussianStepsSchema } from "./gaussian-step-history.js";
import { checkDelta, checkEpsilon } from "./privacy-parameters.js";
import { deltaFromRdp, epsilonFromRdp, type RdpConversion, type RdpDelta, type RdpEpsilon } from "./rdp-conversion.js";
import { DEFAULT_RDP_ORDERS } from "./rdp-orders.js";
import { type FractionalOrderSeries, subsampledGaussianRdpVector } from "./rdp-subsampled-gaussian.js";

export const RdpAccountantStateSchema = z.strictObject({
  kind: z.literal("rdp"),
  version: z.literal(1),
  orders: z.array(z.number().gt(1)).min(1),
  fractionalSeries: z.enum(["signed", "absolute"]),
  history: z.array(GaussianStepsSchema),
});
export type RdpAccountantState = z.infer<typeof RdpAccountantStateSchema>;

export interface RdpAccountantOptions {
  /** Rényi orders (all > 1). Default: `DEFAULT_RDP_ORDERS`, the grid of Google's `dp_accounting`. */
  readonly orders?: readonly number[];
  /** Default `signed` (exact). `absolute` reproduces `dp_accounting`'s upper bound at fractional orders. */
  readonly fractionalSeries?: FractionalOrderSeries;
}

/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Abadi et al. 2016; Mironov 2017;
 * Mironov, Talwar & Zhang 2019), composable over steps with different sampling rates and noise multipliers.
 *
 * The state is the grouped history of steps; the RDP curve is Σ count·RDP_{q,σ}(α), exactly as Opacus and
 * `dp_accounting` compute it, so ε agrees with theirs on the same orders. `step` is O(1); `getEpsilon` costs one
 * RDP evaluation per distinct (σ, q) (cached).
 */
export class RdpAccountant {
  readonly orders: readonly number[];
  readonly fractionalSeries: FractionalOrderSeries;
  private readonly history: GaussianStepHistory;
  private readonly cacheKey: string;
  /** Per-step RDP vectors shared by every accountant with the same orders and series (bounded). */
  private static readonly cache = new Map<string, Float64Array>();

  constructor(options: RdpAccountantOptions = {}, history = new GaussianStepHistory()) {
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (orders.length === 0 || !orders.every((order) => order > 1)) {
      throw new RangeError("RDP orders must be a non-empty list of numbers > 1");
    }
    this.orders = Object.freeze([...orders]);
    this.fractionalSeries = options.fractionalSeries ?? "signed";
    this.cacheKey = `${this.fractionalSeries}|${this.orders.join(",")}`;
    this.history = history;
  }

  /** Composes `count` steps with noise multiplier σ and Poisson sampling rate q. */
  step(noiseMultiplier: number, sampleRate: number, count = 1): this {
    this.history.add(noiseMultiplier, sampleRate, count);
    return this;
  }

  /** Total steps composed so far. */
  get steps(): number {
    return this.history.totalSteps;
  }

  /** The composed steps grouped by (σ, q). */
  entries(): readonly GaussianSteps[] {
    return this.history.entries();
  }

  /** The composed RDP curve, one value per order. */
  rdp(): Float64Array {
    const total = new Float64Array(this.orders.length);
    for (const { noiseMultiplier, sampleRate, count } of this.history.entries()) {
      const perStep = this.perStepRdp(noiseMultiplier, sampleRate);
      for (let k = 0; k < total.length; k++) total[k] = (total[k] as number) + count * (perStep[k] as number);
    }
    return total;
  }

  /** Smallest ε such that the composition is (ε, δ)-DP, and the order that attains it. */
  getEpsilon(delta: number, conversion: RdpConversion = "improved"): RdpEpsilon {
    checkDelta(delta);
    if (this.history.totalSteps === 0) return { epsilon: 0, order: this.orders[0] as number };
    return epsilonFromRdp(this.orders, this.rdp(), delta, conversion);
  }

  /** Smallest δ such that the composition is (ε, δ)-DP, and the order that attains it. */
  getDelta(epsilon: number, conversion: RdpConversion = "improved"): RdpDelta {
    checkEpsilon(epsilon);
    if (this.history.totalSteps === 0) return { delta: 0, order: this.orders[0] as number };
    return deltaFromRdp(this.orders, this.rdp(), epsilon, conversion);
  }

  toJSON(): RdpAccountantState {
    return {
      kind: "rdp",
      version: 1,
      orders: [...this.orders],
      fractionalSeries: this.fractionalSeries,
      history: this.history.entries().map((entry) => ({ ...entry })),
    };
  }

  /** Restores an accountant from `toJSON()` output (parsed: the state may come from disk). */
  static fromJSON(state: unknown): RdpAccountant {
    const parsed = parseInput(RdpAccountantStateSchema, state, "RdpAccountantState");
    const options = { orders: parsed.orders, fractionalSeries: parsed.fractionalSeries };
    return new RdpAccountant(options, GaussianStepHistory.from(parsed.history));
  }

  private perStepRdp(noiseMultiplier: number, sampleRate: number): Float64Array {
    const key = `${this.cacheKey}|${noiseMultiplier}/${sampleRate}`;
    let rdp = RdpAccountant.cache.get(key);
    if (rdp === undefined) {
      rdp = subsampledGaussianRdpVector(sampleRate, noiseMultiplier, this.orders, this.fractionalSeries);
      if (RdpAccountant.cache.size >= 1024) RdpAccountant.cache.clear();
      RdpAccountant.cache.set(key, rdp);
    }
    return rdp;
  }
}
