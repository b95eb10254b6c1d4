import { randomFillSync } from "node:crypto";

/** Fills a buffer with random words. The default is the OS-seeded CSPRNG behind `crypto.randomFillSync`. */
export type RandomFill = (buffer: Uint32Array) => void;

const defaultFill: RandomFill = (buffer) => {
  randomFillSync(buffer);
};

/**
 * Uniform random words from the operating system's cryptographic generator, drawn in pooled blocks so that a
 * sampler pays one `randomFillSync` call per 16k words. Nothing here (or in any sampler built on it) calls
 * `Math.random`.
 */
export class SecureRandom {
  private readonly pool: Uint32Array;
  private position: number;
  private readonly fill: RandomFill;
  /** Words handed out before the current pool, minus the pool size (the pool starts out "used up"). */
  private drawnBefore: number;

  constructor(options: { readonly poolWords?: number; readonly fill?: RandomFill } = {}) {
    this.pool = new Uint32Array(options.poolWords ?? 16_384);
    this.position = this.pool.length;
    this.drawnBefore = -this.pool.length;
    this.fill = options.fill ?? defaultFill;
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    if (this.position === this.pool.length) this.refill();
    return this.pool[this.position++] as number;
  }

  private refill(): void {
    this.drawnBefore += this.position;
    this.fill(this.pool);
    this.position = 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat53(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /**
   * A uniform integer in [0, bound) for an integer bound in [1, 2^53], exactly: a 53-bit word (one or two 32-bit
   * words) is drawn again while it falls in the incomplete last multiple of `bound`, so no value is favoured.
   */
  nextUintBelow(bound: number): number {
    if (!(Number.isInteger(bound) && bound >= 1 && bound <= 2 ** 53)) {
      throw new RangeError(`bound must be an integer in [1, 2^53], got ${bound}`);
    }
    if (bound <= 4_294_967_296) {
      const limit = 4_294_967_296 - (4_294_967_296 % bound);
      for (;;) {
        const word = this.nextUint32();
        if (word < limit) return word % bound;
      }
    }
    const limit = 2 ** 53 - (2 ** 53 % bound);
    for (;;) {
      const word = (this.nextUint32() >>> 11) * 4_294_967_296 + this.nextUint32();
      if (word < limit) return word % bound;
    }
  }

  /**
   * Bernoulli(p) for the float64 p in [0, 1], exactly: the uniform is compared with p bit by bit, drawing only as
   * many words as the comparison needs (one, except with probability 2^-32).
   */
  nextBernoulli(p: number): boolean {
    if (!(p > 0)) return false;
    if (p >= 1) return true;
    let scaled = p;
    for (;;) {
      scaled *= 4_294_967_296;
      const whole = Math.floor(scaled);
      const word = this.nextUint32();
      if (word < whole) return true;
      if (word > whole) return false;
      scaled -= whole;
      if (scaled === 0) return false;
    }
  }

  /** Number of 32-bit words handed out so far. */
  get wordsDrawn(): number {
    return this.drawnBefore + this.position;
  }
}
