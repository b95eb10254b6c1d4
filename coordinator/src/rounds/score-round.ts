import { fedAvgSubsetUtility, gtgShapley, leaveOneOut, normaliseScores, scoresToFixed18 } from "@tributary/aggregation";
import type { ScoringSpec } from "@tributary/protocol";
import type { RoundScoring } from "./round.entity.js";

/** Evaluates a model (flat weights in the job's layout) on the job's held-out validation set. */
export type ValidationLoss = (weights: Float32Array) => Promise<number>;

export interface RoundScores {
  /** One per update, in input order, scaled by 1e18; they sum to exactly 1e18 unless every update was rejected. */
  readonly scores: readonly bigint[];
  readonly scoring: RoundScoring;
}

/**
 * Scores a round's updates with the job's method (see `ScoringSpecSchema`). Rejected updates (left out by the
 * aggregation rule) score exactly 0 and take no part in the coalitions: leave-one-out and GTG-Shapley value the
 * others by the validation loss of global + FedAvg(coalition), the utility being −loss (so a contribution is the
 * loss it removed). Raw contributions are clipped at 0 and normalised per round (`normaliseScores`: a round that
 * did not measurably help is split equally among the accepted updates), then made exact fixed point.
 */
export async function scoreRound(input: {
  readonly scoring: ScoringSpec;
  readonly global: Float32Array;
  /** Examples behind each update of the round, in the round's order. */
  readonly numExamples: readonly number[];
  /** The updates' deltas, in the same order: needed by the validation-set methods only. */
  readonly deltas?: readonly Float32Array[] | undefined;
  /** Indices of rejected updates. */
  readonly rejected: ReadonlySet<number>;
  /** Required for the validation-set methods. */
  readonly validationLoss?: ValidationLoss | undefined;
}): Promise<RoundScores> {
  const { scoring, global, numExamples, rejected } = input;
  const started = performance.now();
  const accepted = numExamples.map((_, index) => index).filter((index) => !rejected.has(index));
  const raw = new Float64Array(numExamples.length);
  let evaluations = 0;
  if (scoring.method === "examples" || accepted.length === 0) {
    for (const index of accepted) raw[index] = numExamples[index] as number;
  } else {
    const { validationLoss, deltas } = input;
    if (validationLoss === undefined || deltas === undefined) {
      throw new Error(`${scoring.method} scoring needs the round's deltas and the job's validation set`);
    }
    const utility = fedAvgSubsetUtility({
      global,
      deltas: accepted.map((index) => deltas[index] as Float32Array),
      numExamples: accepted.map((index) => numExamples[index] as number),
      evaluate: async (weights) => -(await validationLoss(weights)),
    });
    const result =
      scoring.method === "leave-one-out"
        ? await leaveOneOut(accepted.length, utility)
        : await gtgShapley(accepted.length, utility, {
            ...(scoring.maxPermutations === undefined ? {} : { maxPermutations: scoring.maxPermutations }),
            ...(scoring.betweenRoundTruncation === undefined
              ? {}
              : { betweenRoundTruncation: scoring.betweenRoundTruncation }),
            ...(scoring.withinRoundTruncation === undefined
              ? {}
              : { withinRoundTruncation: scoring.withinRoundTruncation }),
          });
    accepted.forEach((index, position) => {
      raw[index] = result.scores[position] as number;
    });
    evaluations = result.evaluations;
  }
  const shares = normaliseScores(raw, { rejected: [...rejected] });
  return {
    scores: scoresToFixed18(shares),
    scoring: { method: scoring.method, evaluations, elapsedMs: performance.now() - started },
  };
}
