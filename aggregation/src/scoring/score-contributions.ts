import type { ScoringSpec } from "@tributary/protocol";
import { EXACT_SHAPLEY_MAX_UPDATES, exactShapley } from "./exact-shapley.js";
import { fedAvgSubsetUtility } from "./fed-avg-subset-utility.js";
import { gtgShapley } from "./gtg-shapley.js";
import { leaveOneOut } from "./leave-one-out.js";
import { normaliseScores } from "./normalise-scores.js";
import { scoresToFixed18 } from "./scores-to-fixed18.js";
import { stratifiedShapley } from "./stratified-shapley.js";

/** Evaluates a model (flat weights in the job's layout) on the job's held-out validation set: its mean loss. */
export type ValidationLoss = (weights: Float32Array) => Promise<number>;

export interface ScoreContributionsInput {
  readonly scoring: ScoringSpec;
  /** The round's starting global model. Not modified. */
  readonly global: Float32Array;
  /** Examples behind each update of the round, in the round's order (its ledger's: by trainer address). */
  readonly numExamples: readonly number[];
  /** The updates' deltas (the bytes the trainers sent), in the same order: needed by the validation-set methods only. */
  readonly deltas?: readonly Float32Array[] | undefined;
  /** Indices of the updates the aggregation rule left out. */
  readonly rejected: ReadonlySet<number>;
  /** Required for the validation-set methods. */
  readonly validationLoss?: ValidationLoss | undefined;
}

export interface ScoredContributions {
  /** One per update, in input order, scaled by 1e18; they sum to exactly 1e18 unless every update was rejected. */
  readonly scores: bigint[];
  /** The same as floating shares of the round (`normaliseScores`). */
  readonly shares: Float64Array;
  /**
   * Raw contributions before normalisation: example counts for `examples`, otherwise utility units (validation
   * loss removed); 0 for rejected updates.
   */
  readonly raw: Float64Array;
  /** Models evaluated on the validation set (0 for `examples`). */
  readonly evaluations: number;
  /**
   * How the raw contributions were computed: the job's method, except that `gtg-shapley` on a round of at most
   * `EXACT_SHAPLEY_MAX_UPDATES` accepted updates is computed exactly (`exact-shapley`, 2^n evaluations) and on a
   * larger round by the job's `estimator` (`stratified-shapley` by default, or `gtg-shapley`).
   */
  readonly computedBy: "examples" | "leave-one-out" | "exact-shapley" | "stratified-shapley" | "gtg-shapley";
  readonly elapsedMs: number;
}

/**
 * Scores a round's updates with the job's method (see `ScoringSpecSchema`): what the coordinator anchors in the
 * round's leaves, and what an auditor recomputes from the same inputs (the round's starting model, the update
 * blobs, the leaves' example counts and rejections, the published validation set). Rejected updates score exactly
 * 0 and take no part in the coalitions: leave-one-out and the Shapley methods value the others by the validation
 * loss of global + FedAvg(coalition), the utility being −loss (so a contribution is the loss it removed). Under
 * `gtg-shapley`, a round of at most `EXACT_SHAPLEY_MAX_UPDATES` (12) accepted updates gets exact Shapley values:
 * all 2^n coalitions, at most 4,096 evaluations, no sampling error. A larger round is estimated by the job's
 * `estimator` (sampler seed 0, so the same inputs give the same samples): Stratified-Shapley by default, which stops
 * once the estimated L1 error of the paid shares is within `tolerance`, or GTG-Shapley, which older specs may
 * name. Raw contributions are clipped at 0 and normalised per round
 * (`normaliseScores`: a round that did not measurably help is split equally among the accepted updates), then made
 * exact fixed point (`scoresToFixed18`). Everything but the loss itself is computed in float64 JavaScript, the same
 * on every platform; under `examples` the result is exact.
 */
export async function scoreContributions(input: ScoreContributionsInput): Promise<ScoredContributions> {
  const { scoring, global, numExamples, rejected } = input;
  const started = performance.now();
  const accepted = numExamples.map((_, index) => index).filter((index) => !rejected.has(index));
  const raw = new Float64Array(numExamples.length);
  let evaluations = 0;
  let computedBy: ScoredContributions["computedBy"] = scoring.method;
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
    const n = accepted.length;
    let result: { readonly scores: Float64Array; readonly evaluations: number };
    if (scoring.method === "leave-one-out") {
      result = await leaveOneOut(n, utility);
    } else if (n <= EXACT_SHAPLEY_MAX_UPDATES) {
      computedBy = "exact-shapley";
      result = await exactShapley(n, utility);
    } else {
      const { betweenRoundTruncation, tolerance, maxEvaluations, maxPermutations, withinRoundTruncation } = scoring;
      const between = betweenRoundTruncation === undefined ? {} : { betweenRoundTruncation };
      if ((scoring.estimator ?? "stratified") === "stratified") {
        computedBy = "stratified-shapley";
        result = await stratifiedShapley(n, utility, {
          ...between,
          ...(tolerance === undefined ? {} : { tolerance }),
          ...(maxEvaluations === undefined ? {} : { maxEvaluations: Math.max(maxEvaluations, 2 * n + 2) }),
        });
      } else {
        result = await gtgShapley(n, utility, {
          ...between,
          ...(maxPermutations === undefined ? {} : { maxPermutations }),
          ...(withinRoundTruncation === undefined ? {} : { withinRoundTruncation }),
        });
      }
    }
    accepted.forEach((index, position) => {
      raw[index] = result.scores[position] as number;
    });
    evaluations = result.evaluations;
  }
  const shares = normaliseScores(raw, { rejected: [...rejected] });
  return {
    scores: scoresToFixed18(shares),
    shares,
    raw,
    evaluations,
    computedBy,
    elapsedMs: performance.now() - started,
  };
}
