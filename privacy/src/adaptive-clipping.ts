import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { InvalidPrivacyParameterError } from "./errors.js";
import { GaussianNoise } from "./gaussian-noise.js";
import { checkNoiseMultiplier, checkPositive, checkSampleRate } from "./privacy-parameters.js";

export interface AdaptiveClippingOptions {
  /** Starting clip norm C₀. */
  readonly initialClipNorm: number;
  /** The quantile γ of client update norms the clip norm tracks. Default 0.5 (the median). */
  readonly targetQuantile?: number;
  /** Geometric learning rate η_C. Default 0.2 (Andrew et al.). */
  readonly learningRate?: number;
  /** σ_b: standard deviation of the noise on the count of unclipped clients. */
  readonly countNoiseStddev: number;
  /** Expected number of clients per round (q·N), public. */
  readonly expectedClients: number;
}

export const AdaptiveClippingStateSchema = z.strictObject({
  clipNorm: z.number().positive(),
  targetQuantile: z.number().gt(0).lt(1),
  learningRate: z.number().positive(),
  countNoiseStddev: z.number().positive(),
  expectedClients: z.number().positive(),
});
export type AdaptiveClippingState = z.infer<typeof AdaptiveClippingStateSchema>;

/** Anything that composes steps of the subsampled Gaussian (both accountants do). */
export interface GaussianStepAccountant {
  step(noiseMultiplier: number, sampleRate: number, count?: number): unknown;
}

/**
 * Adaptive clipping for client-level DP at the aggregator (DP-FedAvg; Andrew, Thakkar, McMahan & Ramaswamy 2021,
 * "Differentially private learning with adaptive clipping"). Each round every participating client reports
 * b_i = 1[‖Δ_i‖ <= C]; the aggregator releases the centred count Σ(b_i − ½) + N(0, σ_b²) (sensitivity ½), forms
 * b̄ = noisy/m + ½ with m the expected number of clients, and updates C ← C·exp(−η_C·(b̄ − γ)), so C tracks the
 * γ-quantile of update norms.
 *
 * Privacy: the clipped-update sum (noise multiplier z_Δ) and the count (noise multiplier 2σ_b) are one Gaussian
 * mechanism on the joint vector, with noise multiplier z = (z_Δ⁻² + (2σ_b)⁻²)^{-1/2} (Andrew et al. Thm 1). To
 * spend a total z per round, add update noise with `updateNoiseMultiplier(z)` and record the round with
 * `recordRound`, which composes z into the accountant.
 */
export class AdaptiveClipping {
  private state: AdaptiveClippingState;
  private readonly noise: GaussianNoise;

  constructor(options: AdaptiveClippingOptions, noise: GaussianNoise = new GaussianNoise()) {
    const targetQuantile = options.targetQuantile ?? 0.5;
    if (!(targetQuantile > 0 && targetQuantile < 1)) {
      throw new InvalidPrivacyParameterError("targetQuantile", targetQuantile, "must be in (0, 1)");
    }
    this.state = {
      clipNorm: checkPositive(options.initialClipNorm, "initialClipNorm"),
      targetQuantile,
      learningRate: checkPositive(options.learningRate ?? 0.2, "learningRate"),
      countNoiseStddev: checkPositive(options.countNoiseStddev, "countNoiseStddev"),
      expectedClients: checkPositive(options.expectedClients, "expectedClients"),
    };
    this.noise = noise;
  }

  /** The clip norm to use this round. */
  get clipNorm(): number {
    return this.state.clipNorm;
  }

  /** The bit a client reports: 1 when its update norm is within the current clip norm. */
  indicator(updateNorm: number): 0 | 1 {
    return updateNorm <= this.state.clipNorm ? 1 : 0;
  }

  /**
   * Ends a round: `unclipped` of the `participants` clients reported b_i = 1. Draws the count noise, updates and
   * returns the clip norm for the next round.
   */
  update(unclipped: number, participants: number): number {
    if (
      !(Number.isInteger(unclipped) && Number.isInteger(participants) && unclipped >= 0 && unclipped <= participants)
    ) {
      throw new InvalidPrivacyParameterError("unclipped", unclipped, "must be an integer in [0, participants]");
    }
    const { clipNorm, targetQuantile, learningRate, countNoiseStddev, expectedClients } = this.state;
    const noisyCentred = unclipped - participants / 2 + this.noise.sample(countNoiseStddev);
    const fraction = noisyCentred / expectedClients + 0.5;
    this.state = { ...this.state, clipNorm: clipNorm * Math.exp(-learningRate * (fraction - targetQuantile)) };
    return this.state.clipNorm;
  }

  /** Noise multiplier for the update sum so that update and count together spend `totalNoiseMultiplier`. */
  updateNoiseMultiplier(totalNoiseMultiplier: number): number {
    const z = checkNoiseMultiplier(totalNoiseMultiplier, "totalNoiseMultiplier");
    const countMultiplier = 2 * this.state.countNoiseStddev;
    const remaining = z ** -2 - countMultiplier ** -2;
    if (!(remaining > 0)) {
      throw new InvalidPrivacyParameterError(
        "totalNoiseMultiplier",
        z,
        `must be below 2·countNoiseStddev = ${countMultiplier} (the count alone would spend more)`,
      );
    }
    return remaining ** -0.5;
  }

  /** The round's total noise multiplier given the update sum's: (z_Δ⁻² + (2σ_b)⁻²)^{-1/2}. */
  combinedNoiseMultiplier(updateNoiseMultiplier: number): number {
    const zDelta = checkPositive(updateNoiseMultiplier, "updateNoiseMultiplier");
    return (zDelta ** -2 + (2 * this.state.countNoiseStddev) ** -2) ** -0.5;
  }

  /** Composes one round (clipped sum with `updateNoiseMultiplier` plus the count) into `accountant`. */
  recordRound(accountant: GaussianStepAccountant, sampleRate: number, updateNoiseMultiplier: number): void {
    accountant.step(this.combinedNoiseMultiplier(updateNoiseMultiplier), checkSampleRate(sampleRate), 1);
  }

  toJSON(): AdaptiveClippingState {
    return { ...this.state };
  }

  static fromJSON(state: unknown, noise?: GaussianNoise): AdaptiveClipping {
    const parsed = parseInput(AdaptiveClippingStateSchema, state, "AdaptiveClippingState");
    return new AdaptiveClipping({ ...parsed, initialClipNorm: parsed.clipNorm }, noise);
  }
}
