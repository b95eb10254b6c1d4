import { SCORE_SCALE } from "@tributary/protocol";

/** Relative tolerance of `examples` scores: `scoreRound` goes through doubles (≈1e-16) before exact fixed point. */
const EXAMPLES_TOLERANCE = 1_000_000_000n;

/** Whether a/b ≈ c/d within 1e-9 relative (all non-negative, b and d positive). */
function sameRatio(a: bigint, b: bigint, c: bigint, d: bigint): boolean {
  const left = a * d;
  const right = c * b;
  // bigint: no Math.max.
  const [larger, difference] = left > right ? [left, left - right] : [right, right - left];
  return difference * EXAMPLES_TOLERANCE <= larger;
}

/**
 * Under `examples` scoring each accepted update scores its share of the round's examples, so score/numExamples is
 * the same for every accepted leaf. An altered score or numExamples breaks that for its own leaf only; changing
 * one leaf's numExamples also moves the round's total, so the reference is the ratio most leaves share, not the
 * total. Returns the indices (into `leaves`) off that ratio, or `undefined` when no strict majority shares one
 * (two leaves that disagree: either could be the altered one). A leaf with no examples must score 0.
 */
export function examplesOutliers(leaves: readonly { numExamples: bigint; score: bigint }[]): number[] | undefined {
  const outliers: number[] = [];
  const counted: number[] = [];
  leaves.forEach((leaf, index) => {
    if (leaf.numExamples === 0n) {
      if (leaf.score !== 0n) outliers.push(index);
    } else {
      counted.push(index);
    }
  });
  if (counted.length === 0) return outliers;
  let best: { index: number; members: number[] } | undefined;
  for (const i of counted) {
    const a = leaves[i] as { numExamples: bigint; score: bigint };
    const members = counted.filter((j) => {
      const b = leaves[j] as { numExamples: bigint; score: bigint };
      return sameRatio(a.score, a.numExamples, b.score, b.numExamples);
    });
    if (best === undefined || members.length > best.members.length) best = { index: i, members };
  }
  if (best === undefined || best.members.length * 2 <= counted.length) return undefined;
  const members = new Set(best.members);
  for (const i of counted) if (!members.has(i)) outliers.push(i);
  return outliers.sort((a, b) => a - b);
}

/**
 * The payout a contributor's cumulative score implies, taking the job's total score from the normalisation rule
 * (each round with an accepted update sums to exactly SCORE_SCALE) instead of from the leaves: ⌊B · c / (R · 1e18)⌋
 * with B the payout budget and R the rounds that had an accepted update. For an unaltered ledger this is exactly
 * `computePayouts`' amount; when one leaf's score was altered it changes that contributor's amount only, so
 * comparing with the amounts the chain's payout root authenticates names the contributor.
 */
export function normalisedPayout(budget: bigint, cumulativeScore: bigint, scoredRounds: number): bigint {
  if (scoredRounds <= 0) return 0n;
  return (budget * cumulativeScore) / (BigInt(scoredRounds) * SCORE_SCALE);
}
