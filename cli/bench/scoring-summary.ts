import type { ScoredRound, StratifiedRun } from "./scoring-round.js";

/** The issue-20 goal for an estimate where exact Shapley is affordable: L1 ≤ 0.1 at ≤ 0.5× exact's cost. */
const FIDELITY_GOAL = { l1: 0.1, costRatio: 0.5 } as const;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const round4 = (value: number) => Number(value.toFixed(4));
const span = (values: readonly number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
/** "mean (min–max)". */
const spread = (values: readonly number[], digits: number) =>
  `${mean(values).toFixed(digits)} (${span(values, digits)})`;
const meetsGoal = (run: { readonly l1: number; readonly costRatio: number }) =>
  run.l1 <= FIDELITY_GOAL.l1 && run.costRatio <= FIDELITY_GOAL.costRatio;

/** One progress line per scored round. */
export function roundLine(round: ScoredRound): string {
  return `seed ${round.seed} round ${round.round}: exact ${round.exact.evaluations} evaluations in ${(round.exact.ms / 1000).toFixed(1)} s; GTG L1 ${mean(round.gtg.map((run) => run.l1)).toFixed(3)} at ${mean(round.gtg.map((run) => run.costRatio)).toFixed(2)}×; Stratified-Shapley L1 ${mean(round.stratified.map((run) => run.l1)).toFixed(3)} at ${mean(round.stratified.map((run) => run.costRatio)).toFixed(2)}× (max L1 ${Math.max(...round.stratified.map((run) => run.l1)).toFixed(3)})`;
}

function stratifiedRow(name: string, runs: readonly StratifiedRun[], notes: string): string {
  return `| ${name} | ${spread(
    runs.map((run) => run.evaluations),
    0,
  )} | ${spread(
    runs.map((run) => run.costRatio),
    2,
  )} | ${spread(
    runs.map((run) => run.l1),
    3,
  )} | ${(Math.max(...runs.map((run) => run.harmfulShare)) * 100).toFixed(1)} % | ${notes}; goal (L1 ≤ ${FIDELITY_GOAL.l1} at ≤ ${FIDELITY_GOAL.costRatio}×) met in ${runs.filter(meetsGoal).length}/${runs.length} runs |`;
}

/** One Markdown row per scored round (sampler seeds summarised as mean and max), then one per method over all rounds. */
export function scoringTable(rounds: readonly ScoredRound[]): string {
  const lines = [
    "| seed | round | harmful updates (exact φ < 0) | exact: evaluations, s | ms per evaluation | GTG cost ÷ exact (mean) | GTG L1 mean (max) | Stratified evaluations (range) | Stratified cost ÷ exact (mean) | Stratified L1 mean (max) | Stratified estimated error (mean) | Stratified goal met | Stratified at 0.5×: L1 mean (max) | LOO L1 | examples L1 |",
    "|---:|---:|---|---:|---:|---:|---|---|---:|---|---:|---:|---|---:|---:|",
  ];
  for (const round of rounds) {
    const { gtg, stratified, stratifiedAtHalf } = round;
    lines.push(
      `| ${[
        round.seed,
        round.round,
        round.harmful.length === 0 ? "none" : round.harmful.join(", "),
        `${round.exact.evaluations}, ${(round.exact.ms / 1000).toFixed(1)}`,
        round.evaluationMs.toFixed(1),
        mean(gtg.map((run) => run.costRatio)).toFixed(2),
        `${mean(gtg.map((run) => run.l1)).toFixed(3)} (${Math.max(...gtg.map((run) => run.l1)).toFixed(3)})`,
        span(
          stratified.map((run) => run.evaluations),
          0,
        ),
        mean(stratified.map((run) => run.costRatio)).toFixed(2),
        `${mean(stratified.map((run) => run.l1)).toFixed(3)} (${Math.max(...stratified.map((run) => run.l1)).toFixed(3)})`,
        mean(stratified.map((run) => run.estimatedError)).toFixed(3),
        `${stratified.filter(meetsGoal).length}/${stratified.length}`,
        `${mean(stratifiedAtHalf.map((run) => run.l1)).toFixed(3)} (${Math.max(...stratifiedAtHalf.map((run) => run.l1)).toFixed(3)})`,
        round.leaveOneOut.l1.toFixed(3),
        round.examples.l1.toFixed(3),
      ].join(" | ")} |`,
    );
  }
  const gtg = rounds.flatMap((round) => round.gtg);
  const stratified = rounds.flatMap((round) => round.stratified);
  const stratifiedAtHalf = rounds.flatMap((round) => round.stratifiedAtHalf);
  const exactMs = rounds.map((round) => round.exact.ms);
  lines.push(
    "",
    "| method | evaluations per round, mean (range) | cost ÷ exact, mean (range) | L1 to exact, mean (range) | pays harmful updates (max) | notes |",
    "|---|---|---|---|---:|---|",
    `| exact Shapley (coordinator, n ≤ 12) | ${rounds[0]?.exact.evaluations ?? 0} | 1 | 0 | 0 % | ${span(exactMs, 0)} ms per round; max abs(φ − brute-force reference) ${Math.max(...rounds.map((round) => round.exactVsReference)).toExponential(1)} |`,
    stratifiedRow(
      "Stratified-Shapley (defaults: stopping rule, tolerance 0.06)",
      stratified,
      `converged ${stratified.filter((run) => run.converged).length}/${stratified.length}; its estimated error ${spread(
        stratified.map((run) => run.estimatedError),
        3,
      )}`,
    ),
    stratifiedRow(
      "Stratified-Shapley held to 0.5× (512 evaluations, no stopping rule)",
      stratifiedAtHalf,
      "fixed budget",
    ),
    `| GTG-Shapley (defaults, stopping rule) | ${spread(
      gtg.map((run) => run.evaluations),
      0,
    )} | ${spread(
      gtg.map((run) => run.costRatio),
      2,
    )} | ${spread(
      gtg.map((run) => run.l1),
      3,
    )} | ${(Math.max(...gtg.map((run) => run.harmfulShare)) * 100).toFixed(1)} % | permutations ${span(
      gtg.map((run) => run.permutations),
      0,
    )}; converged ${gtg.filter((run) => run.converged).length}/${gtg.length}; goal met in ${gtg.filter(meetsGoal).length}/${gtg.length} runs |`,
    `| leave-one-out | ${rounds[0]?.leaveOneOut.evaluations ?? 0} | ${((rounds[0]?.leaveOneOut.evaluations ?? 0) / (rounds[0]?.exact.evaluations ?? 1)).toFixed(3)} | ${spread(
      rounds.map((round) => round.leaveOneOut.l1),
      3,
    )} | ${(Math.max(...rounds.map((round) => round.leaveOneOut.harmfulShare)) * 100).toFixed(1)} % | |`,
    `| example counts | 0 | 0 | ${spread(
      rounds.map((round) => round.examples.l1),
      3,
    )} | ${(Math.max(...rounds.map((round) => round.examples.harmfulShare)) * 100).toFixed(1)} % | |`,
  );
  return lines.join("\n");
}

function stratifiedSummary(runs: readonly StratifiedRun[]) {
  const meanL1 = mean(runs.map((run) => run.l1));
  const meanCostRatio = mean(runs.map((run) => run.costRatio));
  const sorted = runs.map((run) => run.l1).sort((a, b) => a - b);
  return {
    runs: runs.length,
    meanL1: round4(meanL1),
    p90L1: round4(sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))] ?? 0),
    maxL1: round4(Math.max(...sorted)),
    meanCostRatio: round4(meanCostRatio),
    maxCostRatio: round4(Math.max(...runs.map((run) => run.costRatio))),
    evaluations: {
      min: Math.min(...runs.map((run) => run.evaluations)),
      mean: Math.round(mean(runs.map((run) => run.evaluations))),
      max: Math.max(...runs.map((run) => run.evaluations)),
    },
    converged: runs.filter((run) => run.converged).length,
    meanEstimatedError: round4(mean(runs.map((run) => run.estimatedError))),
    maxHarmfulShare: round4(Math.max(...runs.map((run) => run.harmfulShare))),
    goal: FIDELITY_GOAL,
    goalMetRuns: runs.filter(meetsGoal).length,
    goalMetOnMean: meanL1 <= FIDELITY_GOAL.l1 && meanCostRatio <= FIDELITY_GOAL.costRatio,
  };
}

/** The JSON line's numbers: per method over every round (and sampler seed), and each round. */
export function scoringSummary(rounds: readonly ScoredRound[]) {
  const runs = rounds.flatMap((round) => round.gtg);
  const gtgMeanL1 = mean(runs.map((run) => run.l1));
  const gtgMeanCost = mean(runs.map((run) => run.costRatio));
  return {
    scoredRounds: rounds.length,
    exactShapley: {
      evaluations: rounds[0]?.exact.evaluations ?? 0,
      meanMs: Math.round(mean(rounds.map((round) => round.exact.ms))),
      meanEvaluationMs: round4(mean(rounds.map((round) => round.evaluationMs))),
      maxDifferenceToReference: Math.max(...rounds.map((round) => round.exactVsReference)),
    },
    stratifiedShapley: stratifiedSummary(rounds.flatMap((round) => round.stratified)),
    stratifiedShapleyAtHalf: stratifiedSummary(rounds.flatMap((round) => round.stratifiedAtHalf)),
    gtgShapley: {
      runs: runs.length,
      meanL1: round4(gtgMeanL1),
      maxL1: round4(Math.max(...runs.map((run) => run.l1))),
      meanCostRatio: round4(gtgMeanCost),
      maxCostRatio: round4(Math.max(...runs.map((run) => run.costRatio))),
      permutations: {
        min: Math.min(...runs.map((run) => run.permutations)),
        mean: Math.round(mean(runs.map((run) => run.permutations))),
        max: Math.max(...runs.map((run) => run.permutations)),
      },
      converged: runs.filter((run) => run.converged).length,
      goal: FIDELITY_GOAL,
      goalMetRuns: runs.filter(meetsGoal).length,
      goalMetOnMean: gtgMeanL1 <= FIDELITY_GOAL.l1 && gtgMeanCost <= FIDELITY_GOAL.costRatio,
    },
    leaveOneOut: {
      meanL1: round4(mean(rounds.map((round) => round.leaveOneOut.l1))),
      maxHarmfulShare: round4(Math.max(...rounds.map((round) => round.leaveOneOut.harmfulShare))),
    },
    examples: {
      meanL1: round4(mean(rounds.map((round) => round.examples.l1))),
      maxHarmfulShare: round4(Math.max(...rounds.map((round) => round.examples.harmfulShare))),
    },
    rounds: rounds.map((round) => ({
      seed: round.seed,
      round: round.round,
      harmful: round.harmful,
      exactMs: Math.round(round.exact.ms),
      gtgMeanL1: round4(mean(round.gtg.map((run) => run.l1))),
      gtgMeanCostRatio: round4(mean(round.gtg.map((run) => run.costRatio))),
      stratifiedMeanL1: round4(mean(round.stratified.map((run) => run.l1))),
      stratifiedMaxL1: round4(Math.max(...round.stratified.map((run) => run.l1))),
      stratifiedMeanCostRatio: round4(mean(round.stratified.map((run) => run.costRatio))),
      stratifiedAtHalfMeanL1: round4(mean(round.stratifiedAtHalf.map((run) => run.l1))),
      leaveOneOutL1: round4(round.leaveOneOut.l1),
      leaveOneOutHarmfulShare: round4(round.leaveOneOut.harmfulShare),
    })),
  };
}
