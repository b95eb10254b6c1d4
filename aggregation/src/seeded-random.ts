import { AggregationInputError } from "./errors.js";

/**
 * A small, fast, seeded pseudo-random generator for reproducible sampling (Monte-Carlo permutations in
 * contribution scoring). NOT for anything that protects privacy or secrets: that randomness comes from
 * `crypto.getRandomValues`.
 */
export interface SeededRandom {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform integer in [0, bound), without modulo bias (rejection sampling); `bound` in [1, 2^32]. */
  nextInt(bound: number): number;
  /** Shuffles `values[start..]` in place, uniformly (Fisher–Yates), and returns `values`. */
  shuffle<T extends { length: number; [index: number]: number }>(values: T, start?: number): T;
}

const TWO_32 = 0x1_0000_0000;

/** SplitMix32-style mixer: spreads a seed into well-distributed 32-bit words. */
function splitMix(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) >>> 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, period ≥ 2^32) seeded from any
 * safe integer. The same seed gives the same stream on every platform.
 */
export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed)) {
    throw new AggregationInputError(`createSeededRandom: seed must be a safe integer, got ${seed}`, { seed });
  }
  const mixer = { value: (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_32) >>> 0, 0x27d4eb2f) };
  let a = splitMix(mixer);
  let b = splitMix(mixer);
  let c = splitMix(mixer);
  let d = 1;

  function nextUint32(): number {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  }
  // Discard the first outputs, as sfc32's author recommends, so that nearby seeds diverge.
  for (let i = 0; i < 12; i++) nextUint32();

  function nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_32) {
      throw new AggregationInputError(`nextInt: bound must be an integer in [1, 2^32], got ${bound}`, { bound });
    }
    const limit = TWO_32 - (TWO_32 % bound);
    for (;;) {
      const value = nextUint32();
      if (value < limit) return value % bound;
    }
  }

  function shuffle<T extends { length: number; [index: number]: number }>(values: T, start = 0): T {
    for (let i = values.length - 1; i > start; i--) {
      const j = start + nextInt(i - start + 1);
      const held = values[i] as number;
      values[i] = values[j] as number;
      values[j] = held;
    }
    return values;
  }

  return { nextUint32, nextInt, shuffle };
}
