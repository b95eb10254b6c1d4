import { z } from "zod";
import { checkNoiseMultiplier, checkSampleRate, checkSteps } from "./privacy-parameters.js";

/** `count` steps of the Poisson-subsampled Gaussian mechanism with the same σ and q. */
export interface GaussianSteps {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly count: number;
}

export const GaussianStepsSchema = z.strictObject({
  noiseMultiplier: z.number().min(0).refine(Number.isFinite, "must be finite"),
  sampleRate: z.number().gt(0).max(1),
  count: z.number().int().positive().refine(Number.isSafeInteger, "must be a safe integer"),
});

/**
 * The steps an accountant has composed, grouped by (σ, q) in first-seen order. Composition is commutative, so
 * this is all the state an accountant of the subsampled Gaussian needs; it serialises exactly (JSON numbers
 * round-trip every float64) and stays small however many steps are taken.
 */
export class GaussianStepHistory {
  private readonly groups: { noiseMultiplier: number; sampleRate: number; count: number }[] = [];
  private readonly index = new Map<string, number>();

  /** Records `count` more steps with noise multiplier σ and sampling rate q. */
  add(noiseMultiplier: number, sampleRate: number, count = 1): void {
    checkNoiseMultiplier(noiseMultiplier);
    checkSampleRate(sampleRate);
    checkSteps(count, "count");
    const key = `${noiseMultiplier}/${sampleRate}`;
    const at = this.index.get(key);
    if (at === undefined) {
      this.index.set(key, this.groups.length);
      this.groups.push({ noiseMultiplier, sampleRate, count });
    } else {
      const group = this.groups[at] as { count: number };
      group.count += count;
    }
  }

  /** The groups, in the order their (σ, q) first appeared. */
  entries(): readonly GaussianSteps[] {
    return this.groups.map((group) => ({ ...group }));
  }

  /** Total number of steps. */
  get totalSteps(): number {
    return this.groups.reduce((total, group) => total + group.count, 0);
  }

  /** True when a step with σ = 0 was taken (no privacy at all). */
  get hasNonPrivateStep(): boolean {
    return this.groups.some((group) => group.noiseMultiplier === 0);
  }

  static from(entries: readonly GaussianSteps[]): GaussianStepHistory {
    const history = new GaussianStepHistory();
    for (const entry of entries) history.add(entry.noiseMultiplier, entry.sampleRate, entry.count);
    return history;
  }
}
