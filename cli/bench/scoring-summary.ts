import type { ScoredRound } from "./scoring-round.js";

/** The issue-20 goal for an estimate where exact Shapley is affordable: L1 ≤ 0.1 at ≤ 0.5× exact's cost. */
const FIDELITY_GOAL = { l1: 0.1, costRatio: 0.5 } as const;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const round4 = (value: number) => Number(value.toFixed(4));
const span = (values: readonly number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

/** One Markdown row per scored round, then one per method over all rounds. */
export function scoringTable(rounds: readonly ScoredRound[]): string {
  const lines = [
    "| seed | round | harmful updates (exact φ < 0) | exact: evaluations, s | ms per evaluation | GTG permutations | GTG evaluations | GTG cost ÷ exact | GTG L1 | GTG converged | LOO L1 | LOO pays harmful | examples L1 |",
    "|---:|---:|---|---:|---:|---|---|---|---|---:|---:|---:|---:|",
  ];
  for (const round of rounds) {
    const gtg = round.gtg;
    lines.push(
      `| ${[
        round.seed,
        round.round,
        round.harmful.length === 0 ? "none" : round.harmful.join(", "),
        `${round.exact.evaluations}, ${(round.exact.ms / 1000).toFixed(1)}`,
        round.evaluationMs.toFixed(1),
        gtg.map((run) => run.permutations).join(" / "),
        gtg.map((run) => run.evaluations).join(" / "),
        gtg.map((run) => run.costRatio.toFixed(2)).join(" / "),
        gtg.map((run) => run.l1.toFixed(3)).join(" / "),
        `${gtg.filter((run) => run.converged).length}/${gtg.length}`,
        round.leaveOneOut.l1.toFixed(3),
        `${(round.leaveOneOut.harmfulShare * 100).toFixed(1)} %`,
        round.examples.l1.toFixed(3),
      ].join(" | ")} |`,
    );
  }
  const runs = rounds.flatMap((round) => round.gtg);
  const exactMs = rounds.map((round) => round.exact.ms);
  const met = runs.filter((run) => run.l1 <= FIDELITY_GOAL.l1 && run.costRatio <= FIDELITY_GOAL.costRatio).length;
  lines.push(
    "",
    "| method | evaluations per round | cost ÷ exact | L1 to exact (mean, range) | pays harmful updates (max) | notes |",
    "|---|---:|---:|---|---:|---|",
    `| exact Shapley (coordinator, n ≤ 12) | ${rounds[0]?.exact.evaluations ?? 0} | 1 | 0 | 0 % | ${span(exactMs, 0)} ms per round; max |φ − brute-force reference| ${Math.max(...rounds.map((round) => round.exactVsReference)).toExponential(1)} |`,
    `| GTG-Shapley (defaults, stopping rule) | ${span(
      runs.map((run) => run.evaluations),
      0,
    )} | ${mean(runs.map((run) => run.costRatio)).toFixed(2)} (${span(
      runs.map((run) => run.costRatio),
      2,
    )}) | ${mean(runs.map((run) => run.l1)).toFixed(3)} (${span(
      runs.map((run) => run.l1),
      3,
    )}) | ${(Math.max(...runs.map((run) => run.harmfulShare)) * 100).toFixed(1)} % | permutations ${span(
      runs.map((run) => run.permutations),
      0,
    )}; converged ${runs.filter((run) => run.converged).length}/${runs.length}; goal (L1 ≤ ${FIDELITY_GOAL.l1} at ≤ ${FIDELITY_GOAL.costRatio}×) met in ${met}/${runs.length} runs |`,
    `| leave-one-out | ${rounds[0]?.leaveOneOut.evaluations ?? 0} | ${((rounds[0]?.leaveOneOut.evaluations ?? 0) / (rounds[0]?.exact.evaluations ?? 1)).toFixed(3)} | ${mean(rounds.map((round) => round.leaveOneOut.l1)).toFixed(3)} (${span(
      rounds.map((round) => round.leaveOneOut.l1),
      3,
    )}) | ${(Math.max(...rounds.map((round) => round.leaveOneOut.harmfulShare)) * 100).toFixed(1)} % | |`,
    `| example counts | 0 | 0 | ${mean(rounds.map((round) => round.examples.l1)).toFixed(3)} (${span(
      rounds.map((round) => round.examples.l1),
      3,
    )}) | ${(Math.max(...rounds.map((round) => round.examples.harmfulShare)) * 100).toFixed(1)} % | |`,
  );
  return lines.join("\n");
}

/** The JSON line's numbers: per method over every round (and GTG sampler seed), and each round. */
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
      goalMetRuns: runs.filter((run) => run.l1 <= FIDELITY_GOAL.l1 && run.costRatio <= FIDELITY_GOAL.costRatio).length,
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
      gtg: round.gtg.map((run) => ({
        seed: run.seed,
        permutations: run.permutations,
        evaluations: run.evaluations,
        converged: run.converged,
        l1: round4(run.l1),
        costRatio: round4(run.costRatio),
      })),
      leaveOneOutL1: round4(round.leaveOneOut.l1),
      leaveOneOutHarmfulShare: round4(round.leaveOneOut.harmfulShare),
    })),
  };
}
