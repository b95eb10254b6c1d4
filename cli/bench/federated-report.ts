import type { DemoResult } from "../src/demo/demo-session-options.js";

/** One finished scenario of the benchmark: a job and what it was for. */
export interface ScenarioRun {
  readonly name: string;
  readonly result: DemoResult;
}

/**
 * Test accuracy of the global model after r rounds, r = 0 … rounds: a train round's `evalAccuracy` is its
 * input model's (r = round index), the final `evaluate` round's is the model after the last round.
 */
export function accuracyByRound(result: DemoResult): (number | null)[] {
  const byRound: (number | null)[] = Array.from({ length: result.rounds + 1 }, () => null);
  for (const row of result.perRound) {
    const r = row.kind === "evaluate" ? result.rounds : row.round;
    if (r <= result.rounds) byRound[r] = row.evalAccuracy;
  }
  return byRound;
}

/** Cumulative ε after r rounds, r = 0 … rounds (train round r − 1 reports it); null without DP. */
export function epsilonByRound(result: DemoResult): (number | null)[] {
  const byRound: (number | null)[] = Array.from({ length: result.rounds + 1 }, (_, r) => (r === 0 ? 0 : null));
  for (const row of result.perRound) {
    if (row.kind === "train" && row.round < result.rounds) byRound[row.round + 1] = row.epsilonSpent;
  }
  return byRound.some((value, r) => r > 0 && value !== null) ? byRound : byRound.map(() => null);
}

/** Accuracy after exactly `rounds` rounds of a run that lasted at least that long, else null. */
export function accuracyAfter(result: DemoResult | undefined, rounds: number): number | null {
  if (result === undefined || result.rounds < rounds) return null;
  return accuracyByRound(result)[rounds] ?? null;
}

/** Mean accuracy of the models after rounds − k + 1 … rounds (steadier than one round under label skew). */
export function meanAccuracyOfLast(result: DemoResult | undefined, rounds: number, k: number): number | null {
  if (result === undefined || result.rounds < rounds || rounds + 1 < k) return null;
  const values = accuracyByRound(result).slice(rounds + 1 - k, rounds + 1);
  if (values.some((value) => value === null)) return null;
  return (values as number[]).reduce((sum, value) => sum + value, 0) / k;
}

/** The first r (1 … rounds) after which the global model's accuracy is at least `target`; null if none is. */
export function roundsToReach(result: DemoResult | undefined, target: number): number | null {
  if (result === undefined) return null;
  const round = accuracyByRound(result).findIndex((value, r) => r > 0 && value !== null && value >= target);
  return round < 0 ? null : round;
}

const percent = (value: number | null | undefined) => (value == null ? "" : (value * 100).toFixed(2));

/**
 * Rows r = 0 … max rounds, one column per scenario: accuracy (%) of the model after r rounds; DP scenarios get a
 * second column with the cumulative ε spent by then.
 */
export function perRoundTable(runs: readonly ScenarioRun[]): string {
  const columns = runs.flatMap((run) => {
    const accuracy = { name: run.name, values: accuracyByRound(run.result).map(percent) };
    const epsilon = epsilonByRound(run.result);
    if (epsilon.every((value) => value === null)) return [accuracy];
    return [accuracy, { name: `${run.name} ε`, values: epsilon.map((value) => value?.toFixed(3) ?? "") }];
  });
  const widths = columns.map((column) => Math.max(6, column.name.length));
  const maxRounds = Math.max(0, ...runs.map((run) => run.result.rounds));
  const lines = [["round", ...columns.map((column, i) => column.name.padStart(widths[i] as number))].join("  ")];
  for (let r = 0; r <= maxRounds; r++) {
    const cells = columns.map((column, i) => (column.values[r] ?? "").padStart(widths[i] as number));
    lines.push([String(r).padStart(5), ...cells].join("  "));
  }
  return lines.join("\n");
}

/**
 * Test accuracy of the model the job returns (its `result`: the best round on the validation set, or the last),
 * read from the per-round table: training round r's output is the model after r + 1 rounds. Null without a result.
 */
export function returnedAccuracy(result: DemoResult | undefined): number | null {
  const returned = result?.returned;
  if (returned === undefined) return null;
  return accuracyByRound(result as DemoResult)[returned.round + 1] ?? null;
}

/** "best r12" or "last r20": which model the job returns, from which round (counted from 1). */
export function describeReturned(result: DemoResult | undefined): string {
  const returned = result?.returned;
  if (returned === undefined) return "";
  return `${returned.model === "last" ? "last" : "best"} r${returned.round + 1}`;
}

/**
 * Per scenario: rounds, final (last model) accuracy, the model the job returns and its accuracy, ε, wall time and
 * mean seconds per round.
 */
export function summaryTable(runs: readonly ScenarioRun[]): string {
  const width = Math.max(8, ...runs.map((run) => run.name.length));
  const lines = [
    `${"scenario".padEnd(width)}  rounds  final acc %  final loss  returned  ret. acc %       ε  wall s  s/round`,
  ];
  for (const { name, result } of runs) {
    const train = result.perRound.filter((row) => row.kind === "train" && row.durationS !== null);
    const perRound = train.reduce((sum, row) => sum + (row.durationS as number), 0) / Math.max(1, train.length);
    lines.push(
      [
        name.padEnd(width),
        String(result.rounds).padStart(6),
        percent(result.accuracy).padStart(11),
        (result.loss?.toFixed(4) ?? "").padStart(10),
        describeReturned(result).padStart(8),
        percent(returnedAccuracy(result)).padStart(10),
        (result.epsilonSpent?.toFixed(3) ?? "∞").padStart(7),
        result.durationS.toFixed(0).padStart(6),
        perRound.toFixed(1).padStart(7),
      ].join("  "),
    );
  }
  return lines.join("\n");
}

export interface TargetCheck {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

export function targetTable(checks: readonly TargetCheck[]): string {
  const width = Math.max(6, ...checks.map((check) => check.what.length));
  const targetWidth = Math.max(6, ...checks.map((check) => check.target.length));
  return [
    `${"target".padEnd(width)}  ${"needs".padEnd(targetWidth)}  met?  measured`,
    ...checks.map(
      (check) =>
        `${check.what.padEnd(width)}  ${check.target.padEnd(targetWidth)}  ${(check.met === null ? "n/a" : check.met ? "yes" : "NO").padEnd(4)}  ${check.measured}`,
    ),
  ].join("\n");
}

/** "85.12%", or "not run". */
export function describeAccuracy(value: number | null | undefined): string {
  return value == null ? "not run" : `${(value * 100).toFixed(2)}%`;
}
