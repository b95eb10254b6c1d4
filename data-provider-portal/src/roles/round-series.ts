import type { RoundView } from "../api/coordinator-views.js";

/** Per training round: its label and the metric's value (null where the round reported none). */
export function metricSeries(rounds: readonly RoundView[], metric: string): (number | null)[] {
  return trainingRounds(rounds).map((round) => round.metrics?.[metric] ?? null);
}

export function trainingRounds(rounds: readonly RoundView[]): RoundView[] {
  return rounds.filter((round) => round.kind === "train").sort((a, b) => a.round - b.round);
}

/** How many of a round's selected trainers have answered. */
export function trainersDone(round: RoundView): { done: number; of: number } {
  const done = round.assignments.filter((a) => a.status === "submitted" || a.status === "evaluated").length;
  return { done, of: round.assignments.length };
}
