import { bernoulliExpMinus } from "./bernoulli-exp.js";
import type { SecureRandom } from "./secure-random.js";

/** Largest σ the sampler accepts: keeps every sampled integer (and its block offset) exact in float64. */
export const MAX_DISCRETE_SIGMA = 2 ** 36;

export interface DiscreteGaussianSamplerOptions {
  /**
   * The block table covers |k| < cutoff·σ; beyond it a geometric envelope takes over (probability ~e^{-cutoff²/2}).
   * Default 7. Tests lower it to exercise the tail path.
   */
  readonly tableCutoff?: number;
}

/**
 * Exact-by-construction sampler of the discrete Gaussian N_Z(0, σ²): P(k) ∝ exp(−k²/(2σ²)) on the integers
 * (Canonne, Kamath & Steinke 2020), built for speed at large σ and for a CSPRNG.
 *
 * Rejection sampling with a piecewise-constant envelope: |k| is split into blocks of b = 2^β integers (b ≈ σ/64,
 * so there are ~450 blocks), a block is chosen with probability ∝ b·e^{−(jb)²/(2σ²)} from a 96-bit cumulative
 * table (searched through a 4096-entry guide, one 32-bit word in the common case), an offset r is drawn
 * uniformly, and k = jb + r is accepted with probability e^{−(k² − (jb)²)/(2σ²)} (about 99%); the sign is a fair
 * bit, with −0 rejected. Blocks past the table follow a geometric envelope.
 *
 * Accuracy: every Bernoulli is exact for its float64 probability (`SecureRandom.nextBernoulli`), so the only
 * deviation from N_Z(0, σ²) is float64 rounding in the block weights and acceptance probabilities: each outcome's
 * probability is within a relative 2^-48 of the exact one. No floating-point Gaussian is ever formed, so the
 * low-order-bit leak of naive samplers (Mironov 2012) has nothing to leak from.
 */
export class DiscreteGaussianSampler {
  readonly sigma: number;
  /** log2 of the block size. */
  private readonly beta: number;
  private readonly blockSize: number;
  /** Number of table blocks; index `blocks` in the cumulative table is the tail. */
  private readonly blocks: number;
  /** Upper thresholds of the cumulative table in base 2^32 digits (3 per entry), entry j = Σ_{i<=j} p_i. */
  private readonly thresholdHi: Uint32Array;
  private readonly thresholdMid: Uint32Array;
  private readonly thresholdLo: Uint32Array;
  private readonly guide: Uint16Array;
  private readonly twoSigma2: number;
  /** Geometric ratio of the tail envelope. */
  private readonly tailRatio: number;

  constructor(sigma: number, options: DiscreteGaussianSamplerOptions = {}) {
    if (!(sigma > 0 && sigma <= MAX_DISCRETE_SIGMA)) {
      throw new RangeError(`discrete Gaussian σ must be in (0, 2^36], got ${sigma}`);
    }
    const cutoff = options.tableCutoff ?? 7;
    this.sigma = sigma;
    this.beta = Math.max(0, Math.floor(Math.log2(sigma / 64)));
    this.blockSize = 2 ** this.beta;
    this.twoSigma2 = 2 * sigma * sigma;
    const b = this.blockSize;
    this.blocks = Math.max(1, Math.ceil((cutoff * sigma) / b));
    if (this.blocks > 60_000) throw new RangeError("discrete Gaussian table too large");
    const tailBlock = this.blocks;
    this.tailRatio = Math.exp(-(tailBlock * b * b) / (sigma * sigma));
    // Relative weights (the common factor b dropped): table blocks, then the whole geometric tail.
    const weights = new Float64Array(this.blocks + 1);
    for (let j = 0; j < this.blocks; j++) weights[j] = Math.exp(-((j * b) ** 2) / this.twoSigma2);
    weights[tailBlock] =
      Math.exp(-((tailBlock * b) ** 2) / this.twoSigma2) / -Math.expm1(-(tailBlock * b * b) / (sigma * sigma));
    let total = 0;
    for (const w of weights) total += w;
    // 96-bit fixed-point cumulative table, built exactly in BigInt; rounding slack goes to block 0.
    const one = 1n << 96n;
    const scaled = Array.from(weights, (w) => BigInt(Math.floor((w / total) * 2 ** 96)));
    const sum = scaled.reduce((acc, v) => acc + v, 0n);
    scaled[0] = (scaled[0] as bigint) + (one - sum);
    this.thresholdHi = new Uint32Array(this.blocks + 1);
    this.thresholdMid = new Uint32Array(this.blocks + 1);
    this.thresholdLo = new Uint32Array(this.blocks + 1);
    let cumulative = 0n;
    const mask = 0xffffffffn;
    for (let j = 0; j <= this.blocks; j++) {
      cumulative += scaled[j] as bigint;
      // The last threshold is 2^96 itself; store it as the largest 96-bit value (never reached by a uniform).
      const value = cumulative >= one ? one - 1n : cumulative;
      this.thresholdHi[j] = Number((value >> 64n) & mask);
      this.thresholdMid[j] = Number((value >> 32n) & mask);
      this.thresholdLo[j] = Number(value & mask);
    }
    // guide[t] = first entry whose threshold's top 12 bits are >= t (a uniform with top bits t starts there).
    this.guide = new Uint16Array(4096);
    let entry = 0;
    for (let t = 0; t < 4096; t++) {
      while (entry < this.blocks && (this.thresholdHi[entry] as number) >>> 20 < t) entry++;
      this.guide[t] = entry;
    }
  }

  /** One sample of N_Z(0, σ²). */
  sample(random: SecureRandom): number {
    const b = this.blockSize;
    for (;;) {
      const block = this.chooseBlock(random);
      const bits = random.nextUint32();
      const negative = (bits & 1) === 1;
      const offset = this.beta === 0 ? 0 : (bits >>> 1) & (b - 1);
      let accept: number;
      let magnitude: number;
      if (block < this.blocks) {
        magnitude = block * b + offset;
        // e^{−(k² − (jb)²)/(2σ²)} with k² − (jb)² = r·(2jb + r).
        accept = (offset * (2 * block * b + offset)) / this.twoSigma2;
      } else {
        const extra = this.geometric(random);
        const j = this.blocks + extra;
        magnitude = j * b + offset;
        // Envelope e^{−(Jb)²/(2σ²)}·ρ^{j−J} with ρ = e^{−J b²/σ²}; k² − (Jb)² − 2J b²(j−J) = b²(j−J)² + r(2jb + r).
        accept = (b * b * extra * extra + offset * (2 * j * b + offset)) / this.twoSigma2;
      }
      if (magnitude === 0 && negative) continue;
      if (!bernoulliExpMinus(accept, random)) continue;
      return negative ? -magnitude : magnitude;
    }
  }

  /** Fills `out` with independent samples. */
  fill(out: Float64Array, random: SecureRandom): void {
    for (let i = 0; i < out.length; i++) out[i] = this.sample(random);
  }

  /** Index of the block whose cumulative interval contains a uniform 96-bit number. */
  private chooseBlock(random: SecureRandom): number {
    const w0 = random.nextUint32();
    let j = this.guide[w0 >>> 20] as number;
    const hi = this.thresholdHi;
    // Find the first j with U < threshold[j], comparing digit by digit and drawing lower digits only on ties.
    let w1 = -1;
    let w2 = -1;
    for (;;) {
      const t0 = hi[j] as number;
      if (w0 < t0) return j;
      if (w0 === t0) {
        if (w1 < 0) w1 = random.nextUint32();
        const t1 = this.thresholdMid[j] as number;
        if (w1 < t1) return j;
        if (w1 === t1) {
          if (w2 < 0) w2 = random.nextUint32();
          if (w2 < (this.thresholdLo[j] as number)) return j;
        }
      }
      j++;
      if (j >= this.blocks) return this.blocks;
    }
  }

  /** G >= 0 with P(G = g) = (1 − ρ)·ρ^g, by exact Bernoulli(ρ) trials (only on the rare tail path). */
  private geometric(random: SecureRandom): number {
    let g = 0;
    while (random.nextBernoulli(this.tailRatio)) g++;
    return g;
  }
}
