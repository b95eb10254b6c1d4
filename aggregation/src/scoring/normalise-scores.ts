import { AggregationInputError } from "../errors.js";

export interface NormaliseScoresOptions {
  /** Indices whose score must be exactly 0 whatever their raw value (updates rejected by validation or the rule). */
  readonly rejected?: readonly number[];
  /**
   * What to do when no eligible update has a positive raw score (the round did not measurably help, e.g.
   * GTG-Shapley's between-round truncation, or every contribution was negative):
   * "equal" splits the round equally among the non-rejected updates (default: each did the round's work and
   * none can be told apart from the others); "zero" gives everyone 0 (the round pays nobody).
   */
  readonly allZero?: "equal" | "zero";
}

/**
 * Turns raw contributions (leave-one-out or Shapley values, in utility units) into shares of the round: negative
 * contributions are clipped to 0, rejected indices are exactly 0, and the rest is divided by its sum, so the
 * shares are non-negative and sum to 1 (up to floating-point rounding; `scoresToFixed18` makes the on-chain sum
 * exact). When nothing eligible is positive, `allZero` decides (default: an equal split among non-rejected). The
 * result sums to 0 only when every index is rejected (or with `allZero: "zero"`). Throws `AggregationInputError`
 * for a non-finite raw score or a rejected index out of range.
 */
export function normaliseScores(raw: ArrayLike<number>, options: NormaliseScoresOptions = {}): Float64Array {
  const n = raw.length;
  const eligible = new Uint8Array(n).fill(1);
  for (const index of options.rejected ?? []) {
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new AggregationInputError(`normaliseScores: rejected index ${index} is not in [0, ${n})`, {
        rule: "normaliseScores",
        index,
        n,
      });
    }
    eligible[index] = 0;
  }
  const shares = new Float64Array(n);
  let total = 0;
  let eligibleCount = 0;
  for (let i = 0; i < n; i++) {
    const value = raw[i] as number;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new AggregationInputError(`normaliseScores: score ${i} is ${String(value)}`, {
        rule: "normaliseScores",
        index: i,
        value: String(value),
      });
    }
    if (eligible[i] === 0) continue;
    eligibleCount++;
    if (value > 0) {
      shares[i] = value;
      total += value;
    }
  }
  if (total > 0 && Number.isFinite(total)) {
    for (let i = 0; i < n; i++) shares[i] = (shares[i] as number) / total;
    return shares;
  }
  if (total > 0) {
    // The positive scores overflow when added: rescale them first (the shares are unchanged).
    let largest = 0;
    for (let i = 0; i < n; i++) largest = Math.max(largest, shares[i] as number);
    let scaled = 0;
    for (let i = 0; i < n; i++) scaled += (shares[i] as number) / largest;
    for (let i = 0; i < n; i++) shares[i] = (shares[i] as number) / largest / scaled;
    return shares;
  }
  if ((options.allZero ?? "equal") === "equal" && eligibleCount > 0) {
    for (let i = 0; i < n; i++) if (eligible[i] === 1) shares[i] = 1 / eligibleCount;
  }
  return shares;
}
