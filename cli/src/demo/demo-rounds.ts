import type { RoundProgress } from "./progress-view.js";
import type { TrainerProcess } from "./trainer-processes.js";

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

/** A round as `GET /jobs/:id/rounds` lists it (the fields the demo reads). */
export interface RoundRow {
  round: number;
  kind: "train" | "evaluate";
  status: string;
  metrics: Record<string, number> | null;
  assignments: { status: string }[];
  startedAt: string;
  finishedAt: string | null;
}

export function roundRecord(row: RoundRow): RoundRecord {
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

export function progressOf(row: RoundRow, rounds: number): RoundProgress {
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

/** Polls `check` until true; rejects after `timeoutMs`, or as soon as a trainer agent process exits. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  trainers: TrainerProcess[],
): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (trainers.some((t) => t.exitedCode !== undefined))
      throw new Error(`a trainer agent exited while waiting for ${what}`);
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
