import { getBytes, sha256, toUtf8Bytes } from "ethers";
import { InvalidInputError } from "./parse.js";

const TWO_32 = 0x1_0000_0000;

/** SplitMix32-style mixer: spreads a seed into well-distributed 32-bit words. */
function splitMix(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) >>> 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The first three words of sfc32's state for `seed`. */
function initialWords(seed: string | number): [number, number, number] {
  if (typeof seed === "string") {
    const digest = getBytes(sha256(toUtf8Bytes(`tributary-seed:${seed}`)));
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    return [view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true)];
  }
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidInputError("seed", [{ path: "seed", message: `must be a string or a safe integer, got ${seed}` }]);
  }
  const mixer = { value: (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_32) >>> 0, 0x27d4eb2f) };
  return [splitMix(mixer), splitMix(mixer), splitMix(mixer)];
}

/**
 * The one seeded pseudo-random generator of the project, for everything others must be able to replay: the
 * Monte-Carlo permutations of contribution scoring (auditors recompute them), data partitions and batch
 * shuffles. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state) seeded from a safe
 * integer (SplitMix32 words) or a string (SHA-256 of `tributary-seed:<seed>`); the same seed gives the same
 * stream on every platform. It protects nothing: privacy noise and secrets use `crypto.getRandomValues`.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: string | number) {
    [this.#a, this.#b, this.#c] = initialWords(seed);
    // Discard the first outputs, as sfc32's author recommends, so that nearby seeds diverge.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const b = this.#b;
    const c = this.#c;
    const t = (((this.#a + b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) >>> 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) >>> 0;
    return t;
  }

  /** A uniform integer in [0, bound), without modulo bias (rejection sampling); `bound` in [1, 2^32]. */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_32) {
      throw new InvalidInputError("bound", [
        { path: "bound", message: `must be an integer in [1, 2^32], got ${bound}` },
      ]);
    }
    const limit = TWO_32 - (TWO_32 % bound);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % bound;
    }
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
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

  /** Shuffles `items[start..]` in place, uniformly (Fisher–Yates), and returns `items`. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T, start = 0): T {
    for (let i = items.length - 1; i > start; i--) {
      const j = start + this.nextInt(i - start + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }
}
