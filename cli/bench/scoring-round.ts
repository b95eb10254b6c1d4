import {
  exactShapley,
  type GtgShapleyResult,
  gtgShapley,
  leaveOneOut,
  normaliseScores,
  type SubsetUtility,
} from "@tributary/aggregation";
import { exactShapley as bruteForceShapley, l1Distance, spearman } from "./scoring-fidelity.js";

/** One scored round of the scoring benchmark: every method against exact Shapley, with what each cost. */
export interface ScoredRound {
  readonly seed: number;
  readonly round: number;
  /** The coordinator's exact Shapley (`exactShapley` of the aggregation package), on the real evaluator. */
  readonly exact: { readonly evaluations: number; readonly ms: number; readonly scores: Float64Array };
  /** max_i |φ_i − φ_i(reference)|: the bench's own brute force over the same coalition values. */
  readonly exactVsReference: number;
  /** Mean cost of one coalition evaluation (model + FedAvg of the coalition) in this round, ms. */
  readonly evaluationMs: number;
  readonly gtg: readonly GtgRun[];
  readonly leaveOneOut: MethodFidelity & { readonly evaluations: number };
  readonly examples: MethodFidelity;
  /** Updates whose exact φ is negative (they raised the validation loss on average over joining orders). */
  readonly harmful: readonly number[];
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

const maskOf = (members: readonly number[]) => members.reduce((mask, member) => mask | (1 << member), 0);

/**
 * Scores one round's n updates every way. Exact Shapley runs on `utility` (the real evaluator: its time is the
 * measured cost) and records every coalition's value; GTG-Shapley (defaults, one run per seed), leave-one-out and
 * the reference brute force then read those recorded values, so their cost is counted in evaluations (each one
 * costs `evaluationMs`, the mean measured during exact Shapley).
 */
export async function scoreRound(input: {
  readonly seed: number;
  readonly round: number;
  readonly n: number;
  readonly utility: SubsetUtility;
  readonly numExamples: readonly number[];
  readonly gtgSeeds: number;
}): Promise<ScoredRound> {
  const { n } = input;
  const values = new Float64Array(2 ** n).fill(Number.NaN);
  const recording: SubsetUtility = async (members) => {
    const value = await input.utility(members);
    values[maskOf(members)] = value;
    return value;
  };
  const exact = await exactShapley(n, recording);
  const recorded: SubsetUtility = (members) => {
    const value = values[maskOf(members)] as number;
    if (Number.isNaN(value)) throw new Error(`coalition [${members.join(", ")}] was not evaluated`);
    return value;
  };
  const reference = await bruteForceShapley(n, recorded);
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
  for (let seed = 0; seed < input.gtgSeeds; seed++) {
    const run: GtgShapleyResult = await gtgShapley(n, recorded, { seed });
    gtg.push({
      seed,
      evaluations: run.evaluations,
      permutations: run.permutations,
      converged: run.converged,
      relativeStandardError: run.relativeStandardError,
      costRatio: run.evaluations / exact.evaluations,
      ...fidelity(run.scores),
    });
  }
  const loo = await leaveOneOut(n, recorded);
  return {
    seed: input.seed,
    round: input.round,
    exact: { evaluations: exact.evaluations, ms: exact.elapsedMs, scores: exact.scores },
    exactVsReference,
    evaluationMs: exact.elapsedMs / exact.evaluations,
    gtg,
    leaveOneOut: { evaluations: loo.evaluations, ...fidelity(loo.scores) },
    examples: fidelity(input.numExamples),
    harmful,
  };
}
