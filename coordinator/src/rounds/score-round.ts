import { type ScoreContributionsInput, scoreContributions } from "@tributary/aggregation";
import type { RoundScoring } from "./round.entity.js";

export interface RoundScores {
  /** One per update, in input order, scaled by 1e18; they sum to exactly 1e18 unless every update was rejected. */
  readonly scores: readonly bigint[];
  readonly scoring: RoundScoring;
}

/**
 * Scores a round's updates with the job's method: aggregation's `scoreContributions`, the very function
 * `tributary ledger verify --recompute-scores` runs on the ledger's inputs, with what the round row records.
 */
export async function scoreRound(input: ScoreContributionsInput): Promise<RoundScores> {
  const { scores, evaluations, computedBy, elapsedMs } = await scoreContributions(input);
  return { scores, scoring: { method: input.scoring.method, computedBy, evaluations, elapsedMs } };
}
