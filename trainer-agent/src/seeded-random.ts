import { createHash } from "node:crypto";

/**
 * A seeded, reproducible generator (xoshiro128**, state from SHA-256 of the seed) for experiment plumbing:
 * partitioning data and shuffling batches, where everyone must be able to reproduce the same split. It protects
 * nothing: privacy noise uses the cryptographic generator in `@tributary/privacy`, never this.
 */
export class SeededRandom {
  private readonly s = new Uint32Array(4);

  constructor(seed: string | number) {
    const digest = createHash("sha256").update(`tributary-seed:${seed}`).digest();
    for (let i = 0; i < 4; i++) this.s[i] = digest.readUInt32LE(4 * i);
    if (this.s.every((word) => word === 0)) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** Uniform integer in [0, n) from 53 random bits (bias below 2⁻²⁰ for any n under 2³²). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** Standard normal (Box–Muller). */
  nextNormal(): number {
    const u = 1 - this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextFloat());
  }

  /**
   * log of a Gamma(shape, 1) variate (Marsaglia & Tsang 2000; for shape < 1, Gamma(shape+1)·U^(1/shape)).
   * Returned in log space because for tiny shapes the variate itself underflows to 0.
   */
  nextLogGamma(shape: number): number {
    if (shape < 1) return this.nextLogGamma(shape + 1) + Math.log(1 - this.nextFloat()) / shape;
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.nextNormal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = 1 - this.nextFloat();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return Math.log(d * v);
    }
  }

  /** A Dirichlet(α, …, α) sample of `k` proportions summing to 1. */
  nextDirichlet(alpha: number, k: number): Float64Array {
    const logs = Float64Array.from({ length: k }, () => this.nextLogGamma(alpha));
    const max = logs.reduce((m, value) => Math.max(m, value), Number.NEGATIVE_INFINITY);
    const weights = logs.map((value) => Math.exp(value - max));
    const total = weights.reduce((a, b) => a + b, 0);
    return weights.map((weight) => weight / total);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
