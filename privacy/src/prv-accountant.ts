import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { GaussianStepHistory, type GaussianSteps, GaussianStepsSchema } from "./gaussian-step-history.js";
import {
  type ComposedPld,
  chernoffWindow,
  composePlds,
  nextPowerOfTwo,
  type PldGroup,
  pldDelta,
  pldEpsilon,
} from "./pld-composition.js";
import { checkDelta, checkEpsilon } from "./privacy-parameters.js";
import { type PldDirection, subsampledGaussianLossRange, subsampledGaussianPld } from "./subsampled-gaussian-pld.js";

export const PrvAccountantStateSchema = z.strictObject({
  kind: z.literal("prv"),
  version: z.literal(1),
  gridSize: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 22),
  history: z.array(GaussianStepsSchema),
});
export type PrvAccountantState = z.infer<typeof PrvAccountantStateSchema>;

export interface PrvAccountantOptions {
  /**
   * FFT size (a power of two): the composed loss window is split into about 0.9× this many grid cells. Larger is
   * tighter and slower; the default 2^18 reproduces the published reference values to about 2e-5 in 0.2–0.6 s.
   */
  readonly gridSize?: number;
}

/** Share of the target δ set aside for everything the discretisation cuts off (tails beyond the grid). */
const SLACK_FRACTION = 1e-4;
/** The coarse pass that sizes the window uses this many cells for the narrowest single-step PLD. */
const COARSE_CELLS = 2048;

/**
 * Privacy-loss-distribution accountant (the distribution of the privacy loss random variable, "PRV", Gopi, Lee &
 * Wutschitz 2021; Koskela et al. 2020) for the Poisson-subsampled Gaussian mechanism under add-or-remove-one
 * adjacency. It composes dominating connect-the-dots discretisations (see `subsampled-gaussian-pld.ts`) by FFT,
 * takes the worse of the add and remove directions, and charges every truncation to δ, so the ε it reports is an
 * upper bound that is far tighter than RDP's (which also upper-bounds the same curve, through a lossy conversion).
 *
 * The state is the step history, so it serialises exactly; ε is computed on demand for the δ asked for.
 */
export class PrvAccountant {
  readonly gridSize: number;
  private readonly history: GaussianStepHistory;
  private readonly cache = new Map<string, ComposedDirection>();

  constructor(options: PrvAccountantOptions = {}, history = new GaussianStepHistory()) {
    const gridSize = options.gridSize ?? 2 ** 18;
    if (!(Number.isInteger(gridSize) && gridSize >= 1024 && gridSize <= 2 ** 22 && (gridSize & (gridSize - 1)) === 0)) {
      throw new RangeError(`gridSize must be a power of two in [2^10, 2^22], got ${gridSize}`);
    }
    this.gridSize = gridSize;
    this.history = history;
  }

  /** Composes `count` steps with noise multiplier σ and Poisson sampling rate q. */
  step(noiseMultiplier: number, sampleRate: number, count = 1): this {
    this.history.add(noiseMultiplier, sampleRate, count);
    this.cache.clear();
    return this;
  }

  get steps(): number {
    return this.history.totalSteps;
  }

  entries(): readonly GaussianSteps[] {
    return this.history.entries();
  }

  /** Smallest ε (an upper bound, see the class comment) such that the composition is (ε, δ)-DP. */
  getEpsilon(delta: number): { readonly epsilon: number } {
    checkDelta(delta);
    if (this.history.totalSteps === 0) return { epsilon: 0 };
    if (this.history.hasNonPrivateStep) return { epsilon: Number.POSITIVE_INFINITY };
    let epsilon = 0;
    for (const direction of this.directions()) {
      const { composed, h } = this.composed(direction, delta);
      epsilon = Math.max(epsilon, pldEpsilon(composed, h, delta));
    }
    return { epsilon };
  }

  /**
   * δ(ε) of the composition (an upper bound). Its truncations are sized for δ near `deltaScale` (default 1e-8):
   * a δ far below that scale is returned with the slack of that scale added.
   */
  getDelta(epsilon: number, deltaScale = 1e-8): { readonly delta: number } {
    checkEpsilon(epsilon);
    checkDelta(deltaScale, "deltaScale");
    if (this.history.totalSteps === 0) return { delta: 0 };
    if (this.history.hasNonPrivateStep) return { delta: 1 };
    let delta = 0;
    for (const direction of this.directions()) {
      const { composed, h } = this.composed(direction, deltaScale);
      delta = Math.max(delta, pldDelta(composed, h, epsilon));
    }
    return { delta };
  }

  toJSON(): PrvAccountantState {
    return {
      kind: "prv",
      version: 1,
      gridSize: this.gridSize,
      history: this.history.entries().map((entry) => ({ ...entry })),
    };
  }

  /** Restores an accountant from `toJSON()` output (parsed: the state may come from disk). */
  static fromJSON(state: unknown): PrvAccountant {
    const parsed = parseInput(PrvAccountantStateSchema, state, "PrvAccountantState");
    return new PrvAccountant({ gridSize: parsed.gridSize }, GaussianStepHistory.from(parsed.history));
  }

  /** With q = 1 everywhere the two directions are mirror images and one suffices. */
  private directions(): PldDirection[] {
    return this.history.entries().every((entry) => entry.sampleRate === 1) ? ["remove"] : ["remove", "add"];
  }

  private composed(direction: PldDirection, delta: number): ComposedDirection {
    const key = `${direction}/${delta}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const result = composeDirection(this.history.entries(), direction, delta, this.gridSize);
    this.cache.set(key, result);
    return result;
  }
}

interface ComposedDirection {
  readonly composed: ComposedPld;
  readonly h: number;
}

function composeDirection(
  entries: readonly GaussianSteps[],
  direction: PldDirection,
  delta: number,
  gridSize: number,
): ComposedDirection {
  const totalSteps = entries.reduce((total, entry) => total + entry.count, 0);
  const slack = delta * SLACK_FRACTION;
  // Half the slack for the per-step tails cut off above the grid, a quarter for each side of the window.
  const perStepTail = slack / (2 * totalSteps);
  const windowTail = slack / 4;
  const build = (h: number): PldGroup[] =>
    entries.map((entry) => ({
      pld: subsampledGaussianPld(entry.sampleRate, entry.noiseMultiplier, direction, h, perStepTail),
      count: entry.count,
    }));
  const narrowest = Math.min(
    ...entries.map((entry) => {
      const range = subsampledGaussianLossRange(entry.sampleRate, entry.noiseMultiplier, direction, perStepTail);
      return range.hi - range.lo;
    }),
  );
  // The window comes from a coarse grid that the fine grid refines: connect-the-dots on the coarse grid is a
  // spread of the fine one, so its log-MGF bounds the fine one's for λ > 0 and the upper tail bound holds.
  const coarseH = narrowest / COARSE_CELLS;
  const window = chernoffWindow(build(coarseH), coarseH, windowTail);
  // Aim the window at 90% of the FFT (rounding the refinement factor up keeps it inside).
  const refinement = Math.max(1, Math.ceil((coarseH * 0.9 * gridSize) / (window.hi - window.lo)));
  const h = coarseH / refinement;
  const size = nextPowerOfTwo(Math.ceil((window.hi - window.lo) / h) + 2);
  return { composed: composePlds(build(h), h, window, size, windowTail), h };
}
