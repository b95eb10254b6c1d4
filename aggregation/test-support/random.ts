/** Deterministic test data: a seeded mulberry32 generator (not for anything that needs real randomness). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` vectors of `length` values uniform in [-2, 2), reproducible from `seed`. */
export function randomVectors(seed: number, n: number, length: number): Float32Array[] {
  const next = random(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length }, () => (next() - 0.5) * 4));
}
