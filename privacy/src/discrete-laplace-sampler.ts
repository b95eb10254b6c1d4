import { bernoulliExpMinus } from "./bernoulli-exp.js";
import { InvalidPrivacyParameterError } from "./errors.js";
import type { SecureRandom } from "./secure-random.js";

/** Largest scale the sampler accepts: keeps every sampled integer exact in float64 with room to add it to a sum. */
export const MAX_DISCRETE_LAPLACE_SCALE = 2 ** 40;

/**
 * Exact sampler of the discrete Laplace distribution (the two-sided geometric) of scale t > 0:
 *
 *   P(K = k) = (1 − ρ)/(1 + ρ) · ρ^{|k|},  ρ = e^{−1/t},  k ∈ ℤ.
 *
 * Added to an integer-valued query of L1 sensitivity Δ with t = Δ/ε, it gives ε-DP (the geometric mechanism,
 * Ghosh, Roughgarden & Sundararajan 2009), and its output is an integer: no floating-point value is formed from the
 * secret, so the low-order-bit leak of floating-point Laplace samplers (Mironov 2012) has nothing to leak from.
 * Tail: P(|K| ≥ m) = 2ρ^m/(1 + ρ) for m ≥ 1. CDF: ρ^{−k}/(1 + ρ) for k < 0, 1 − ρ^{k+1}/(1 + ρ) for k ≥ 0.
 *
 * Sampling (after Canonne, Kamath & Steinke 2020, Algorithm 2, for a real scale): with the block B = max(1, ⌊t⌋),
 * a remainder r uniform in [0, B) is kept with probability e^{−r/t}, the number of whole blocks q counts
 * successes of Bernoulli(e^{−B/t}) before the first failure, so |K| = qB + r has P ∝ e^{−|K|/t}; a fair sign
 * follows, with −0 drawn again. Every Bernoulli is exact for its float64 probability (`bernoulliExpMinus`), every
 * uniform exact (`SecureRandom.nextUintBelow`), and every bit comes from the OS CSPRNG. About 1.6 remainders and
 * 1.6 block trials per sample for t ≥ 1.
 */
export class DiscreteLaplaceSampler {
  readonly scale: number;
  private readonly block: number;

  constructor(scale: number) {
    if (!(scale > 0 && scale <= MAX_DISCRETE_LAPLACE_SCALE)) {
      throw new InvalidPrivacyParameterError("scale", scale, `must be in (0, 2^40]`);
    }
    this.scale = scale;
    this.block = Math.max(1, Math.floor(scale));
  }

  /** The scale t = Δ/ε of the geometric mechanism for an integer query of L1 sensitivity Δ. */
  static forEpsilon(sensitivity: number, epsilon: number): DiscreteLaplaceSampler {
    if (!(epsilon > 0 && Number.isFinite(epsilon))) {
      throw new InvalidPrivacyParameterError("epsilon", epsilon, "must be a positive finite number");
    }
    if (!(Number.isInteger(sensitivity) && sensitivity >= 1)) {
      throw new InvalidPrivacyParameterError("sensitivity", sensitivity, "must be a positive integer");
    }
    return new DiscreteLaplaceSampler(sensitivity / epsilon);
  }

  /** One sample. */
  sample(random: SecureRandom): number {
    const t = this.scale;
    const b = this.block;
    for (;;) {
      const r = b === 1 ? 0 : random.nextUintBelow(b);
      if (!bernoulliExpMinus(r / t, random)) continue;
      let q = 0;
      while (bernoulliExpMinus(b / t, random)) q++;
      const magnitude = q * b + r;
      const negative = (random.nextUint32() & 1) === 1;
      if (negative && magnitude === 0) continue;
      return negative ? -magnitude : magnitude;
    }
  }
}
