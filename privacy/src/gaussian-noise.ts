import { DiscreteGaussianSampler, MAX_DISCRETE_SIGMA } from "./discrete-gaussian-sampler.js";
import { InvalidPrivacyParameterError } from "./errors.js";
import { checkPositive } from "./privacy-parameters.js";
import { SecureRandom } from "./secure-random.js";

/** What `addTo` did: enough to audit the release. */
export interface NoiseReport {
  /** Δ, a power of two: before the final float32 rounding every released coordinate was an integer multiple of Δ. */
  readonly latticeStep: number;
  /** The noise standard deviation actually used (>= the one asked for, see `addTo`). */
  readonly stddev: number;
  /** σ of the integer-valued discrete Gaussian, in lattice steps (stddev / Δ). */
  readonly latticeSigma: number;
}

export interface AddNoiseOptions {
  /**
   * L2 sensitivity of the vector the noise protects (e.g. the clip norm). When given, the standard deviation is
   * raised by the factor (1 + Δ√d / sensitivity) so that the noise multiplier stddev/sensitivity still holds for
   * the lattice-rounded input, whose sensitivity is at most sensitivity + Δ√d.
   */
  readonly sensitivity?: number;
}

/** Lattice steps per standard deviation, over √d: rounding then moves the input by at most 2^-20 of σ in L2. */
const LATTICE_RESOLUTION = 2 ** 20;

/**
 * The Gaussian mechanism with noise that is safe to publish.
 *
 * Defence against floating-point attacks (Mironov 2012): naive samplers produce doubles whose set of reachable
 * values, and so whose low-order bits, depend on the secret value they are added to. Here the input is first
 * rounded to a lattice ΔZ (Δ a power of two, about 2^-20·σ/√d), integer-valued discrete Gaussian noise
 * N_Z(0, (σ/Δ)²) is added in exact integer arithmetic (`DiscreteGaussianSampler`, Canonne, Kamath & Steinke 2020),
 * and the integer is scaled back by Δ. The released vector is therefore a deterministic function (scaling, then
 * float32 rounding) of an integer-valued mechanism: post-processing, which leaks nothing further. The rounding
 * adds at most Δ√d <= 2^-20·σ to the L2 sensitivity, which `sensitivity` absorbs exactly.
 *
 * With σ/Δ >= 2^20 lattice points per standard deviation, the discrete Gaussian's privacy curve equals the
 * continuous one's up to terms of order e^{−2π²(σ/Δ)²} (CKS20; for integer shifts its Rényi divergences are
 * bounded by the continuous ones exactly), so the accountants' Gaussian analysis applies unchanged.
 *
 * Every random bit comes from `SecureRandom` (the OS CSPRNG via `crypto.randomFillSync`); the sampler tables are
 * cached per σ, so repeated steps with the same σ and dimension allocate nothing.
 */
export class GaussianNoise {
  private readonly random: SecureRandom;
  private readonly samplers = new Map<number, DiscreteGaussianSampler>();

  constructor(random: SecureRandom = new SecureRandom()) {
    this.random = random;
  }

  /** Adds lattice Gaussian noise of standard deviation `stddev` to every coordinate of `vector`, in place. */
  addTo(vector: Float32Array, stddev: number, options: AddNoiseOptions = {}): NoiseReport {
    checkPositive(stddev, "stddev");
    const d = Math.max(1, vector.length);
    const step = powerOfTwoAtMost(stddev / (LATTICE_RESOLUTION * Math.sqrt(d)));
    let used = stddev;
    if (options.sensitivity !== undefined) {
      const sensitivity = checkPositive(options.sensitivity, "sensitivity");
      used = stddev * (1 + (step * Math.sqrt(d)) / sensitivity);
    }
    const latticeSigma = used / step;
    if (latticeSigma > MAX_DISCRETE_SIGMA) {
      throw new InvalidPrivacyParameterError("vector.length", vector.length, "must be at most 2^30");
    }
    const limit = 2 ** 52 * step;
    for (let i = 0; i < vector.length; i++) {
      const x = vector[i] as number;
      if (!(Math.abs(x) < limit)) {
        throw new InvalidPrivacyParameterError(`vector[${i}]`, x, `must be finite and below ${limit} in magnitude`);
      }
    }
    const sampler = this.sampler(latticeSigma);
    const random = this.random;
    for (let i = 0; i < vector.length; i++) {
      const onLattice = Math.round((vector[i] as number) / step);
      vector[i] = (onLattice + sampler.sample(random)) * step;
    }
    return { latticeStep: step, stddev: used, latticeSigma };
  }

  /** One draw of N(0, stddev²) on a lattice of 2^20 points per standard deviation (e.g. for a noisy count). */
  sample(stddev: number): number {
    checkPositive(stddev, "stddev");
    const step = powerOfTwoAtMost(stddev / LATTICE_RESOLUTION);
    return this.sampler(stddev / step).sample(this.random) * step;
  }

  private sampler(latticeSigma: number): DiscreteGaussianSampler {
    let sampler = this.samplers.get(latticeSigma);
    if (sampler === undefined) {
      if (this.samplers.size >= 8) this.samplers.clear();
      sampler = new DiscreteGaussianSampler(latticeSigma);
      this.samplers.set(latticeSigma, sampler);
    }
    return sampler;
  }
}

/** The largest power of two <= x (x > 0), exactly. */
function powerOfTwoAtMost(x: number): number {
  let p = 2 ** Math.floor(Math.log2(x));
  while (p > x) p /= 2;
  while (p * 2 <= x) p *= 2;
  return p;
}

let sharedNoise: GaussianNoise | undefined;

/** `GaussianNoise.addTo` on a process-wide instance. */
export function addGaussianNoise(vector: Float32Array, stddev: number, options: AddNoiseOptions = {}): NoiseReport {
  sharedNoise ??= new GaussianNoise();
  return sharedNoise.addTo(vector, stddev, options);
}
