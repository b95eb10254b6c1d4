import {
  exactShapley,
  gtgShapley,
  leaveOneOut,
  normaliseScores,
  type SubsetUtility,
  stratifiedShapley,
} from "@tributary/aggregation";
import { exactShapley as bruteForceShapley, l1Distance, spearman } from "./scoring-fidelity.js";

/** One scored round of the scoring benchmark: every method against exact Shapley, with what each cost. */
export interface ScoredRound {
  readonly seed: number;
  readonly round: number;
  /** The coordinator's exact Shapley (`exactShapley` of the aggregation package), on the real evaluator. */
  readonly exact: { readonly evaluations: number; readonly ms: number; readonly scores: Float64Array };
  /** v(S) of every coalition S of the round, indexed by the bitmask of S (what exact Shapley evaluated). */
  readonly values: Float64Array;
  /** max_i |φ_i − φ_i(reference)|: the bench's own brute force over the same coalition values. */
  readonly exactVsReference: number;
  /** Mean cost of one coalition evaluation (model + FedAvg of the coalition) in this round, ms. */
  readonly evaluationMs: number;
  readonly gtg: readonly GtgRun[];
  /** Stratified-Shapley with its defaults (stopping rule), one run per sampler seed. */
  readonly stratified: readonly StratifiedRun[];
  /** Stratified-Shapley held to half of exact's evaluations (no stopping rule), one run per sampler seed. */
  readonly stratifiedAtHalf: readonly StratifiedRun[];
  readonly leaveOneOut: MethodFidelity & { readonly evaluations: number };
  readonly examples: MethodFidelity;
  /** Updates whose exact φ is negative (they raised the validation loss on average over joining orders). */
  readonly harmful: readonly number[];
}

/** One round as recorded: every coalition's value, and what evaluating them cost. */
export interface RecordedRound {
  readonly seed: number;
  readonly round: number;
  readonly n: number;
  /** Exact Shapley's wall time on the real evaluator (all 2^n coalitions), ms. */
  readonly exactMs: number;
  readonly numExamples: readonly number[];
  /** v(S) for every coalition S, indexed by the bitmask of S. */
  readonly values: ArrayLike<number>;
}

export interface MethodFidelity {
  /** L1 distance of the normalised shares to exact Shapley's (0 identical, 2 disjoint). */
  readonly l1: number;
  readonly spearman: number;
  /** Share of the round the method pays the harmful updates (exact Shapley pays them 0). */
  readonly harmfulShare: number;
}

export interface GtgRun extends MethodFidelity {
  readonly seed: number;
  readonly evaluations: number;
  readonly permutations: number;
  readonly converged: boolean;
  readonly relativeStandardError: number;
  /** Evaluations ÷ exact Shapley's (2^n): the cost ratio, since a round's scoring cost is its evaluations. */
  readonly costRatio: number;
}

export interface StratifiedRun extends MethodFidelity {
  readonly seed: number;
  /** Distinct coalitions it asked for. */
  readonly evaluations: number;
  readonly converged: boolean;
  /** Its own estimate of the paid shares' L1 error when it stopped. */
  readonly estimatedError: number;
  readonly costRatio: number;
}

const maskOf = (members: readonly number[]) => members.reduce((mask, member) => mask | (1 << member), 0);

/**
 * Scores one round's n updates every way. Exact Shapley runs on `utility` (the real evaluator: its time is the
 * measured cost) and records every coalition's value; everything else reads those values (`scoreRecordedRound`).
 */
export async function scoreRound(input: {
  readonly seed: number;
  readonly round: number;
  readonly n: number;
  readonly utility: SubsetUtility;
  readonly numExamples: readonly number[];
  readonly samplerSeeds: number;
}): Promise<ScoredRound> {
  const { n } = input;
  const values = new Float64Array(2 ** n).fill(Number.NaN);
  const recording: SubsetUtility = async (members) => {
    const value = await input.utility(members);
    values[maskOf(members)] = value;
    return value;
  };
  const exact = await exactShapley(n, recording);
  return scoreRecordedRound({ ...input, exactMs: exact.elapsedMs, values }, input.samplerSeeds);
}

/**
 * Scores a recorded round every way from its table of coalition values: exact Shapley (the coordinator's
 * `exactShapley`, checked against the bench's brute force), GTG-Shapley and Stratified-Shapley with their defaults
 * (one run per sampler seed), Stratified-Shapley held to half of exact's evaluations, leave-one-out and example
 * counts. The approximations read the table, so their cost is counted in the distinct coalitions they ask for (each
 * costs what one of exact's evaluations cost).
 */
export async function scoreRecordedRound(recorded: RecordedRound, samplerSeeds: number): Promise<ScoredRound> {
  const { n } = recorded;
  const values = Float64Array.from(recorded.values);
  const table: SubsetUtility = (members) => {
    const value = values[maskOf(members)] as number;
    if (Number.isNaN(value)) throw new Error(`coalition [${members.join(", ")}] was not evaluated`);
    return value;
  };
  const exact = await exactShapley(n, table);
  const reference = await bruteForceShapley(n, table);
  let exactVsReference = 0;
  for (let i = 0; i < n; i++) {
    exactVsReference = Math.max(
      exactVsReference,
      Math.abs((exact.scores[i] as number) - (reference.scores[i] as number)),
    );
  }
  const exactShares = normaliseScores(exact.scores);
  const harmful = [...exact.scores.keys()].filter((i) => (exact.scores[i] as number) < 0);
  const fidelity = (raw: ArrayLike<number>): MethodFidelity => {
    const shares = normaliseScores(raw);
    return {
      l1: l1Distance(shares, exactShares),
      spearman: spearman(raw, exact.scores),
      harmfulShare: harmful.reduce((sum, i) => sum + (shares[i] as number), 0),
    };
  };
  const gtg: GtgRun[] = [];
  const stratified: StratifiedRun[] = [];
  const stratifiedAtHalf: StratifiedRun[] = [];
  for (let seed = 0; seed < samplerSeeds; seed++) {
    const run = await gtgShapley(n, table, { seed });
    gtg.push({
      seed,
      evaluations: run.evaluations,
      permutations: run.permutations,
      converged: run.converged,
      relativeStandardError: run.relativeStandardError,
      costRatio: run.evaluations / exact.evaluations,
      ...fidelity(run.scores),
    });
    for (const [runs, options] of [
      [stratified, { seed }],
      [stratifiedAtHalf, { seed, tolerance: 0, maxEvaluations: exact.evaluations / 2 }],
    ] as const) {
      const estimate = await stratifiedShapley(n, table, options);
      runs.push({
        seed,
        evaluations: estimate.evaluations,
        converged: estimate.converged,
        estimatedError: estimate.estimatedError,
        costRatio: estimate.evaluations / exact.evaluations,
        ...fidelity(estimate.scores),
      });
    }
  }
  const loo = await leaveOneOut(n, table);
  return {
    seed: recorded.seed,
    round: recorded.round,
    exact: { evaluations: exact.evaluations, ms: recorded.exactMs, scores: exact.scores },
    values,
    exactVsReference,
    evaluationMs: recorded.exactMs / exact.evaluations,
    gtg,
    stratified,
    stratifiedAtHalf,
    leaveOneOut: { evaluations: loo.evaluations, ...fidelity(loo.scores) },
    examples: fidelity(recorded.numExamples),
    harmful,
  };
}
