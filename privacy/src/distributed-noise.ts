import { checkNoiseMultiplier, checkPositive } from "./privacy-parameters.js";

/**
 * Distributed differential privacy under secure aggregation (after Kairouz, Liu & Steinke 2021, "The Distributed
 * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation"). The coordinator sees only the sum
 * of a round's integer vectors, so the calibrated noise may be added in shares, one per trainer, in the integer
 * domain after quantisation (where the sum of the shares is exactly the noise of the sum, with no rounding between):
 *
 * - a trainer clips its update to L2 norm C and quantises it at `scale` steps per unit, rounding to nearest, so its
 *   integer vector has L2 norm at most Δ = scale · C + √d / 2 (`quantisedSensitivity`), the sum's sensitivity to
 *   one trainer (one dataset);
 * - each trainer adds discrete Gaussian noise of standard deviation σ_share = z · Δ / √m_min per coordinate, where
 *   z is the job's noise multiplier and m_min the fewest survivors a round may finish with (the SecAgg threshold or
 *   `clients.min`, whichever is larger);
 * - with m ≥ m_min survivors the sum carries noise of variance m · σ_share² ≥ z² Δ², i.e. an effective noise
 *   multiplier z_eff = σ_share · √m / Δ ≥ z (`effectiveNoiseMultiplier`). The accountant charges the round at z (the
 *   worst case m = m_min): a round that ends with fewer survivors aborts rather than publishing an under-noised sum,
 *   and a round with more survivors is charged as if it had m_min (conservative by the factor √(m / m_min) in z).
 *
 * The sum of m independent discrete Gaussians is not exactly a discrete Gaussian; Kairouz et al. bound the gap
 * (negligible for σ_share ≥ 1, which `distributedNoiseShare` requires).
 */
export interface DistributedNoise {
  /** Standard deviation of each trainer's discrete Gaussian share, in quantisation steps. */
  readonly shareSigma: number;
  /** The noise multiplier the accountant charges each round (the job's z). */
  readonly chargedNoiseMultiplier: number;
}

/** L2 sensitivity, in quantisation steps, of a sum of updates clipped to `clipNorm` and rounded at `scale`. */
export function quantisedSensitivity(clipNorm: number, scale: number, dimension: number): number {
  checkPositive(clipNorm, "clipNorm");
  checkPositive(scale, "scale");
  checkPositive(dimension, "dimension");
  return scale * clipNorm + Math.sqrt(dimension) / 2;
}

/** Each trainer's share of the noise so that any m ≥ `minSurvivors` survivors' sum carries multiplier ≥ z. */
export function distributedNoiseShare(
  noiseMultiplier: number,
  sensitivity: number,
  minSurvivors: number,
): DistributedNoise {
  checkNoiseMultiplier(noiseMultiplier);
  checkPositive(sensitivity, "sensitivity");
  if (!(Number.isInteger(minSurvivors) && minSurvivors >= 1))
    throw new RangeError("minSurvivors must be a positive integer");
  const shareSigma = (noiseMultiplier * sensitivity) / Math.sqrt(minSurvivors);
  if (shareSigma < 1) {
    throw new RangeError(
      `each trainer's noise share (σ = ${shareSigma} steps) is below one quantisation step: raise the scale`,
    );
  }
  return { shareSigma, chargedNoiseMultiplier: noiseMultiplier };
}

/** The noise multiplier the sum of `survivors` shares of standard deviation σ_share actually carries. */
export function effectiveNoiseMultiplier(shareSigma: number, sensitivity: number, survivors: number): number {
  return (shareSigma * Math.sqrt(survivors)) / sensitivity;
}
