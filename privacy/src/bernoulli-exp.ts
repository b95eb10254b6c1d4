import type { SecureRandom } from "./secure-random.js";

/**
 * Bernoulli(e^{−γ}) for γ >= 0, exact for the float64 value of each factor: γ is split into pieces of at most 1
 * (each factor e^{−γ/m} >= e^{−1} keeps its relative precision). The common case γ < 0.1 usually needs no exp:
 * a uniform below 1 − γ <= e^{−γ} accepts at once.
 */
export function bernoulliExpMinus(gamma: number, random: SecureRandom): boolean {
  if (gamma <= 0) return true;
  if (gamma < 1) {
    const word = random.nextUint32();
    // u ∈ [word/2^32, (word+1)/2^32); if (word+1)/2^32 <= 1 − γ then u < e^{−γ}.
    if (word + 1 <= (1 - gamma) * 4_294_967_296) return true;
    // Otherwise decide exactly against e^{−γ}: reuse the drawn word as the first digit.
    return bernoulliWithFirstWord(Math.exp(-gamma), word, random);
  }
  const pieces = Math.ceil(gamma);
  const factor = Math.exp(-gamma / pieces);
  for (let i = 0; i < pieces; i++) if (!random.nextBernoulli(factor)) return false;
  return true;
}

/** Bernoulli(p) given the first base-2^32 digit of the uniform already drawn. */
function bernoulliWithFirstWord(p: number, firstWord: number, random: SecureRandom): boolean {
  let scaled = p * 4_294_967_296;
  let whole = Math.floor(scaled);
  let word = firstWord;
  for (;;) {
    if (word < whole) return true;
    if (word > whole) return false;
    scaled -= whole;
    if (scaled === 0) return false;
    scaled *= 4_294_967_296;
    whole = Math.floor(scaled);
    word = random.nextUint32();
  }
}
