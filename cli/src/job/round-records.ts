import type { RoundView } from "./coordinator-views.js";
import type { RoundProgress } from "./progress-view.js";

/** One finished round as the coordinator reports it; `evalAccuracy` of a train round is its INPUT model's. */
export interface RoundRecord {
  readonly round: number;
  readonly kind: "train" | "evaluate";
  readonly evalAccuracy: number | null;
  readonly evalLoss: number | null;
  /** Mean training loss of the round's updates (train rounds only). */
  readonly loss: number | null;
  /** Largest cumulative ε any dataset had spent after the round (DP jobs only). */
  readonly epsilonSpent: number | null;
  readonly durationS: number | null;
}

export function roundRecord(row: RoundView): RoundRecord {
  const metric = (name: string) => row.metrics?.[name] ?? null;
  const finished = row.finishedAt === null ? null : Date.parse(row.finishedAt);
  return {
    round: row.round,
    kind: row.kind,
    evalAccuracy: metric("evalAccuracy"),
    evalLoss: metric("evalLoss"),
    loss: row.kind === "train" ? metric("loss") : null,
    epsilonSpent: metric("epsilonSpent"),
    durationS: finished === null ? null : Number(((finished - Date.parse(row.startedAt)) / 1000).toFixed(1)),
  };
}

/** What a progress line shows of `row`: trainers that answered out of those selected, and its metrics. */
export function progressOf(row: RoundView, rounds: number): RoundProgress {
  const answered = row.assignments.filter((a) => a.status === "submitted" || a.status === "evaluated").length;
  return {
    round: row.round,
    rounds,
    kind: row.kind,
    done: answered,
    selected: row.assignments.length,
    metrics: row.metrics,
    finished: row.status === "done",
  };
}
