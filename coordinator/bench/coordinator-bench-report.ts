/**
 * `bench:coordinator`'s results: the scenarios' types, which side limited each, and the report (tables and the
 * JSON line's scenarios and ratios).
 */

export interface Scenario {
  readonly trainers: number;
  readonly params: number;
}

export interface RoundTiming {
  readonly roundMs: number;
  /** The busiest fleet process's event-loop utilisation during the round (0 … 1). */
  readonly fleetUtilisation: number;
  /** Open → first and last instruction received, last update acknowledged (client side); aggregation alone. */
  readonly firstInstructionMs: number;
  readonly lastInstructionMs: number;
  readonly lastSentMs: number;
  readonly lastAckMs: number;
  readonly aggregationMs: number;
  readonly fleetSignMs: number;
}

/** A round as `GET /jobs/:id/rounds` reports it. */
export interface RoundRow {
  readonly round: number;
  readonly kind: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly metrics: Record<string, number>;
}

export interface Result extends Scenario {
  readonly database: "pglite" | "postgresql";
  readonly rounds: RoundTiming[];
  readonly rawRoundsMs: number[];
  /** The busiest fleet process's event-loop utilisation over the raw baseline's rounds. */
  readonly rawFleetUtilisation: number;
  /** The coordinator process's main-thread event-loop utilisation, and its CPU time per wall time, over its rounds. */
  readonly coordinatorUtilisation: number;
  readonly coordinatorCpu: number;
  /**
   * CPU time (every thread of the process: the event loop, libuv's pool, the garbage collector) per round, of the
   * coordinator's rounds and of the raw server's: what each side costs, much less sensitive than wall time to what
   * else the machine runs. Both are measured in this process, which hosts only the server under test.
   */
  readonly coordinatorCpuMsPerRound: number;
  readonly rawCpuMsPerRound: number;
}

/** A side at or above this event-loop utilisation is what limited a round. */
const SATURATED = 0.85;

export function limitedBy(result: Result): string {
  const fleet = median(result.rounds.map((r) => r.fleetUtilisation));
  if (result.coordinatorUtilisation >= SATURATED && result.coordinatorUtilisation >= fleet) return "coordinator";
  if (fleet >= SATURATED) return "fleet";
  return "machine (neither saturated)";
}

export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Update bytes per second, in MB/s (10⁶ bytes). */
export const megabytesPerSecond = ({ trainers, params }: Scenario, ms: number) => (trainers * params * 4) / ms / 1000;

/** Right-aligned columns as wide as their widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

export function printTables(results: readonly Result[]): void {
  process.stdout.write(
    table(
      [
        "trainers",
        "params",
        "database",
        "round ms (each)",
        "median",
        "coord MB/s",
        "raw ms",
        "raw MB/s",
        "ratio",
        "limited by",
      ],
      results.map((result) => {
        const roundMs = median(result.rounds.map((r) => r.roundMs));
        const rawMs = median(result.rawRoundsMs);
        return [
          String(result.trainers),
          String(result.params),
          result.database,
          result.rounds.map((r) => r.roundMs.toFixed(0)).join(" / "),
          roundMs.toFixed(0),
          megabytesPerSecond(result, roundMs).toFixed(1),
          rawMs.toFixed(0),
          megabytesPerSecond(result, rawMs).toFixed(1),
          (rawMs / roundMs).toFixed(3),
          limitedBy(result),
        ];
      }),
    ),
  );
  process.stdout.write(
    [
      "",
      "where a round's time goes: medians, ms after the round opened. 1st/last instr: the fleet received the first/last",
      "instruction; last sent: the fleet sent its last signed update; last ack: the coordinator accepted it; done: the",
      "round is aggregated (= round time); aggregate: aggregation alone; sign: the fleet's summed EIP-712 signing time",
      "(in the fleet processes). fleet / raw fleet: the busiest fleet process's event-loop utilisation during the",
      "coordinator's / the raw server's rounds; coord: the coordinator's main thread, and its CPU per wall time;",
      "cpu/round: CPU time of the process (all threads) per round, coordinator's rounds and raw server's rounds.",
      "",
    ].join("\n"),
  );
  process.stdout.write(
    table(
      [
        "trainers",
        "params",
        "database",
        "1st instr",
        "last instr",
        "last sent",
        "last ack",
        "done",
        "aggregate",
        "sign",
        "fleet",
        "raw fleet",
        "coord",
        "coord cpu",
        "coord cpu/round",
        "raw cpu/round",
      ],
      results.map((result) => {
        const m = (pick: (r: RoundTiming) => number) => median(result.rounds.map(pick)).toFixed(0);
        return [
          String(result.trainers),
          String(result.params),
          result.database,
          m((r) => r.firstInstructionMs),
          m((r) => r.lastInstructionMs),
          m((r) => r.lastSentMs),
          m((r) => r.lastAckMs),
          m((r) => r.roundMs),
          m((r) => r.aggregationMs),
          m((r) => r.fleetSignMs),
          `${(100 * median(result.rounds.map((r) => r.fleetUtilisation))).toFixed(0)} %`,
          `${(100 * result.rawFleetUtilisation).toFixed(0)} %`,
          `${(100 * result.coordinatorUtilisation).toFixed(0)} %`,
          `${(100 * result.coordinatorCpu).toFixed(0)} %`,
          `${result.coordinatorCpuMsPerRound.toFixed(0)} ms`,
          `${result.rawCpuMsPerRound.toFixed(0)} ms`,
        ];
      }),
    ),
  );
}

/** The JSON line's scenarios and the four ratios ("large": most parameters, "many": most trainers). */
export function jsonResults(results: readonly Result[]) {
  const json = results.map((result) => {
    const roundMs = median(result.rounds.map((r) => r.roundMs));
    const rawMs = median(result.rawRoundsMs);
    return {
      trainers: result.trainers,
      params: result.params,
      database: result.database,
      roundMs: Math.round(roundMs),
      roundsMs: result.rounds.map((r) => Math.round(r.roundMs)),
      coordinatorMBps: Number(megabytesPerSecond(result, roundMs).toFixed(2)),
      rawSocketMs: Math.round(rawMs),
      rawSocketMBps: Number(megabytesPerSecond(result, rawMs).toFixed(2)),
      ratio: Number((rawMs / roundMs).toFixed(4)),
      aggregationMs: Math.round(median(result.rounds.map((r) => r.aggregationMs))),
      lastAckMs: Math.round(median(result.rounds.map((r) => r.lastAckMs))),
      fleetSignMs: Math.round(median(result.rounds.map((r) => r.fleetSignMs))),
      fleetUtilisation: Number(median(result.rounds.map((r) => r.fleetUtilisation)).toFixed(3)),
      rawFleetUtilisation: Number(result.rawFleetUtilisation.toFixed(3)),
      coordinatorUtilisation: Number(result.coordinatorUtilisation.toFixed(3)),
      coordinatorCpu: Number(result.coordinatorCpu.toFixed(3)),
      coordinatorCpuMsPerRound: Math.round(result.coordinatorCpuMsPerRound),
      rawCpuMsPerRound: Math.round(result.rawCpuMsPerRound),
      limitedBy: limitedBy(result),
    };
  });
  // The four numbers: "large" is the scenario with the most parameters, "many" the one with most trainers.
  const ratioOf = (database: string, pick: (a: Result, b: Result) => Result) => {
    const own = results.filter((result) => result.database === database);
    if (own.length === 0) return null;
    const chosen = own.reduce(pick);
    return Number((median(chosen.rawRoundsMs) / median(chosen.rounds.map((r) => r.roundMs))).toFixed(4));
  };
  const large = (a: Result, b: Result) => (b.params > a.params ? b : a);
  const many = (a: Result, b: Result) => (b.trainers > a.trainers ? b : a);
  const ratios = {
    pgliteLarge: ratioOf("pglite", large),
    pgliteMany: ratioOf("pglite", many),
    postgresLarge: ratioOf("postgresql", large),
    postgresMany: ratioOf("postgresql", many),
  };
  return { scenarios: json, ratios };
}
