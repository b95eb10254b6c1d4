import { progressBar } from "../chain/output.js";

/** What the demo shows about one round while it runs. */
export interface RoundProgress {
  readonly round: number;
  readonly rounds: number;
  readonly kind: "train" | "evaluate";
  readonly done: number;
  readonly selected: number;
  readonly metrics: Readonly<Record<string, number>> | null;
  readonly finished: boolean;
}

function metric(
  metrics: Readonly<Record<string, number>> | null,
  name: string,
  format: (value: number) => string,
): string {
  const value = metrics?.[name];
  return value === undefined ? "" : format(value);
}

/** One line per round: bar of trainers done, training loss, accuracy of the round's input model, ε spent. */
export function formatRound(progress: RoundProgress): string {
  const label =
    progress.kind === "evaluate"
      ? "final eval "
      : `round ${String(progress.round + 1).padStart(String(progress.rounds).length)}/${progress.rounds}`;
  const parts = [
    `${label} ${progressBar(progress.done, progress.selected)} ${progress.done}/${progress.selected} trainers`,
    metric(progress.metrics, "loss", (v) => `loss ${v.toFixed(4)}`),
    metric(
      progress.metrics,
      "evalAccuracy",
      (v) => `${progress.kind === "evaluate" ? "acc" : "acc(in)"} ${(v * 100).toFixed(2)}%`,
    ),
    metric(progress.metrics, "epsilonSpent", (v) => `ε ${v.toFixed(3)}`),
    progress.metrics !== null && progress.metrics.nonPrivateUpdates !== undefined ? "ε ∞ (no DP)" : "",
  ];
  return parts.filter((part) => part !== "").join("  ");
}

/** Redraws the current round in place on a terminal; prints finished rounds (only) elsewhere. */
export class ProgressView {
  #printed = new Set<number>();
  #live = false;

  constructor(
    private readonly interactive: boolean,
    private readonly write: (text: string) => void,
  ) {}

  update(progress: RoundProgress): void {
    if (this.#printed.has(progress.round)) return;
    const line = formatRound(progress);
    if (progress.finished) {
      this.write(this.interactive ? `\r\x1b[2K${line}\n` : `${line}\n`);
      this.#printed.add(progress.round);
      this.#live = false;
    } else if (this.interactive) {
      this.write(`\r\x1b[2K${line}`);
      this.#live = true;
    }
  }

  /** Prints a message without tearing the live line. */
  note(text: string): void {
    this.write(this.#live && this.interactive ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }
}
