/**
 * `npm run bench:coordinator`: per-round coordinator time with simulated trainers sending synthetic updates (no
 * training), against raw socket.io loopback throughput measured in the same run, same process layout.
 *
 * Layout: this process runs the server under test (the coordinator with its database, or a plain socket.io server);
 * `--fleets=N` child processes (`trainer-fleet-process.ts`, default 2) host the client sockets, trainer i in child
 * i mod N. A round is timed from the moment the
 * coordinator opens it (`rounds.started_at`, before its assignments are written and instructions go out) until it
 * is aggregated (`rounds.finished_at`, status `done`). Each trainer answers its instruction at once: bytes and
 * SHA-256 are precomputed; only the EIP-712 signature (it covers the round's nonce) is computed on arrival, in the
 * child process, with libsecp256k1 (the same bytes ethers signs), and its summed time is reported.
 *
 * Which side limited a scenario: the busiest fleet process's event-loop utilisation over each round (first
 * instruction to last acknowledgement) and the coordinator process's from the first round's opening to the last one's
 * aggregation (`ProcessSampler`). A side at ≥ 85 % is the limit; when neither is, the machine (CPU shared with other
 * processes: see the load average) or waiting is. The CPU time per round of the coordinator's process and of the raw
 * server's (the same process, hosting only the server under test) says what each side costs whatever the machine's
 * load; wall-time ratios move with it.
 *
 * The npm script runs this process (the servers under test: the coordinator, and the raw socket.io server) with
 * `--max-semi-space-size=64`, as docs/operations.md advises for the coordinator: a young generation large enough
 * that a round's short-lived objects die there (the fleet processes keep V8's default).
 *
 * Flags: `--postgres` requires PostgreSQL at 127.0.0.1:5432/test (default: used when reachable), `--no-postgres`,
 * `--rounds=N` (default 3), `--scenarios=200x100000,1000x10000`, `--profile=<dir>` (CPU-profile the coordinator
 * process during each scenario's rounds; writes `.cpuprofile` files there and prints where the time went).
 */

import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JobId } from "@tributary/protocol";
import { Wallet } from "ethers";
import pg from "pg";
import { register } from "tsx/esm/api";
import { DATABASES, TEST_POSTGRES_URL } from "../test-support/databases.js";
import { ok, signInAs, until } from "../test-support/rest.js";
import {
  jsonResults,
  printTables,
  type Result,
  type RoundRow,
  type RoundTiming,
  type Scenario,
} from "./coordinator-bench-report.js";
import { profiled } from "./cpu-profiler.js";
import type { FleetRoundStats } from "./fleet-messages.js";
import { ProcessSampler } from "./process-sampler.js";
import { summarise } from "./profile-summary.js";
import { queriesPerUpdate, recordQueries } from "./query-counter.js";
import { RawSocketServer } from "./raw-socket-server.js";
import { denseModelWithParams } from "./synthetic-updates.js";
import { TrainerFleet } from "./trainer-fleet.js";

/**
 * The coordinator's NestJS sources need `experimentalDecorators`, which the root tsconfig that `tsx` reads by
 * default does not set: load them through tsx with the coordinator's own tsconfig.
 */
const coordinatorSources = register({
  namespace: "coordinator-bench",
  tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)),
});
const { createCoordinator } = (await coordinatorSources.import(
  "../src/create-coordinator.ts",
  import.meta.url,
)) as typeof import("../src/create-coordinator.js");

const MAX_UPDATE_BYTES = 64 * 1024 * 1024;

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const flag = (name: string) => process.argv.includes(`--${name}`);

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The baseline: the same updates, clients and process layout, through a plain socket.io server (no coordinator). */
async function rawRounds(
  fleet: TrainerFleet,
  server: RawSocketServer,
  scenario: Scenario,
  rounds: number,
): Promise<{ times: number[]; utilisation: number; cpuMsPerRound: number }> {
  const times: number[] = [];
  await fleet.utilisation();
  const cpuStart = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    times.push(await server.round(`${scenario.trainers}x${scenario.params}`, scenario.trainers, round));
  }
  const cpu = process.cpuUsage(cpuStart);
  return { times, utilisation: await fleet.utilisation(), cpuMsPerRound: (cpu.user + cpu.system) / 1000 / rounds };
}

/**
 * On one database: for each scenario, the raw baseline's rounds and then the coordinator's, back to back, so that
 * both see the same machine load (this machine is shared).
 */
async function measure(
  fleet: TrainerFleet,
  raw: RawSocketServer,
  database: (typeof DATABASES)[number],
  scenarios: readonly Scenario[],
  rounds: number,
): Promise<Result[]> {
  const db = await database.setup();
  // One machine plays the whole fleet: one IP, so the per-IP limits are lifted for the measurement.
  const coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: db.dataDir,
      requestsPerMinute: 1_000_000,
      maxSocketsPerIp: 100_000,
      ...db.config,
    },
    process.env.BENCH_LOGS ? {} : { logger: false },
  );
  const researcherToken = await signInAs(coordinator.url, new Wallet(`0x${randomBytes(32).toString("hex")}`));
  const results: Result[] = [];
  try {
    const setupStarted = performance.now();
    const datasetIds = await fleet.connectTrainers(coordinator.url, Math.max(...scenarios.map((s) => s.trainers)));
    process.stderr.write(
      `  ${database.name}: ${datasetIds.length} trainers enrolled and logged in (${((performance.now() - setupStarted) / 1000).toFixed(1)} s)\n`,
    );
    for (const scenario of scenarios) {
      const rawBaseline = await rawRounds(fleet, raw, scenario, rounds);
      const job = await ok<{ id: JobId }>(
        coordinator.url,
        "POST",
        "/jobs",
        {
          name: `bench ${scenario.trainers}x${scenario.params}`,
          model: denseModelWithParams(scenario.params),
          datasetIds: datasetIds.slice(0, scenario.trainers),
          rounds,
          clients: { fraction: 1, min: scenario.trainers, max: scenario.trainers },
          strategy: { name: "fedavg" },
          learningRate: 0.1,
        },
        researcherToken,
      );
      // The fleet returns once its last update is acknowledged; then the last round is closed and aggregated. The
      // final evaluation round is not part of the measurement: the job is cancelled instead.
      const sampler = new ProcessSampler();
      const run = async () => {
        const stats = await fleet.runJob(job.id, scenario.trainers, scenario.params, rounds);
        const history = await until("the last round's aggregation", async () => {
          const rows = await ok<RoundRow[]>(coordinator.url, "GET", `/jobs/${job.id}/rounds`);
          const last = rows.find((row) => row.round === rounds - 1 && row.kind === "train");
          return last?.status === "done" ? rows : undefined;
        });
        return { stats, history };
      };
      const profileDir = option("profile");
      const profileFile = path.join(
        profileDir ?? ".",
        `coordinator-${database.name}-${scenario.trainers}x${scenario.params}.cpuprofile`,
      );
      const stopRecording = profileDir === undefined ? undefined : recordQueries();
      const measured = profileDir === undefined ? { result: await run() } : await profiled(profileFile, run);
      sampler.stop();
      const { stats: fleetStats, history } = measured.result;
      // Only what happened between the first round's opening and the last one's aggregation.
      const train = history.filter((round) => round.kind === "train");
      const from = Math.min(...train.map((round) => Date.parse(round.startedAt)));
      const to = Math.max(...train.map((round) => Date.parse(round.finishedAt)));
      const window = sampler.between(from, to);
      const queries = stopRecording?.() ?? [];
      await ok(coordinator.url, "POST", `/jobs/${job.id}/cancel`, undefined, researcherToken);
      results.push({
        ...scenario,
        database: database.name,
        rounds: timings(scenario, history, fleetStats),
        rawRoundsMs: rawBaseline.times,
        rawFleetUtilisation: rawBaseline.utilisation,
        rawCpuMsPerRound: rawBaseline.cpuMsPerRound,
        coordinatorUtilisation: window.utilisation,
        coordinatorCpu: window.cpuMs / window.wallMs,
        coordinatorCpuMsPerRound: window.cpuMs / rounds,
      });
      if ("profile" in measured) {
        const summary = summarise(measured.profile, {
          fromMs: from - measured.startedAtMs,
          toMs: to - measured.startedAtMs,
        });
        const statements = queriesPerUpdate(queries, from, to, scenario.trainers * rounds);
        process.stderr.write(
          `\n${database.name} ${scenario.trainers}×${scenario.params}, ${profileFile} (rounds from ${(from - measured.startedAtMs).toFixed(0)} to ${(to - measured.startedAtMs).toFixed(0)} ms)\n${summary}\n${statements}\n\n`,
        );
      }
    }
    await fleet.disconnectTrainers();
  } finally {
    await coordinator.close();
    await db.cleanup();
  }
  return results;
}

function timings(
  scenario: Scenario,
  history: readonly RoundRow[],
  fleetStats: readonly FleetRoundStats[],
): RoundTiming[] {
  return fleetStats.map((stats) => {
    const row = history.find((round) => round.round === stats.round && round.kind === "train");
    if (row === undefined) throw new Error(`round ${stats.round} is missing`);
    if (stats.accepted !== scenario.trainers || row.metrics.updates !== scenario.trainers) {
      throw new Error(
        `round ${stats.round}: ${stats.accepted} updates accepted, ${row.metrics.updates} aggregated, of ${scenario.trainers} (${stats.rejections.slice(0, 3).join("; ")})`,
      );
    }
    const opened = Date.parse(row.startedAt);
    return {
      roundMs: Date.parse(row.finishedAt) - opened,
      firstInstructionMs: stats.firstInstructionAt - opened,
      lastInstructionMs: stats.lastInstructionAt - opened,
      lastSentMs: stats.lastSentAt - opened,
      lastAckMs: stats.lastAckAt - opened,
      aggregationMs: row.metrics.aggregationMs ?? Number.NaN,
      fleetSignMs: stats.signMs,
      fleetUtilisation: stats.utilisation,
    };
  });
}

async function main(): Promise<void> {
  const rounds = Number(option("rounds") ?? 3);
  const scenarios: Scenario[] = (option("scenarios") ?? "200x100000,1000x10000").split(",").map((text) => {
    const [trainers, params] = text.split("x").map(Number);
    return { trainers: trainers as number, params: params as number };
  });
  const wantPostgres = flag("postgres") || (!flag("no-postgres") && (await postgresReachable()));
  const databases = DATABASES.filter((database) => database.name === "pglite" || wantPostgres);
  process.stderr.write(
    `bench:coordinator ${new Date().toISOString()}: ${scenarios.map((s) => `${s.trainers}×${s.params}`).join(", ")}; ${rounds} rounds each; databases: ${databases.map((d) => d.name).join(", ")}\n`,
  );
  const loadBefore = loadavg()[0] as number;
  const fleet = TrainerFleet.start(Number(option("fleets") ?? 2));
  const results: Result[] = [];
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const raw = await RawSocketServer.start(MAX_UPDATE_BYTES);
  try {
    const most = Math.max(...scenarios.map((s) => s.trainers));
    await fleet.connectRaw(raw.url, most);
    await until("raw clients", async () => (raw.connected >= most ? true : undefined));
    for (const scenario of scenarios) await fleet.prepareRaw(scenario.trainers, scenario.params, rounds);
    process.stderr.write(`  ${most} raw socket.io clients connected, updates prepared (${elapsed()})\n`);
    for (const database of databases) {
      results.push(...(await measure(fleet, raw, database, scenarios, rounds)));
      process.stderr.write(`  ${database.name} done (${elapsed()})\n`);
    }
    await fleet.disconnect();
  } finally {
    await fleet.stop();
    await raw.close();
  }
  const loadAfter = loadavg()[0] as number;
  printTables(results);
  const { scenarios: json, ratios } = jsonResults(results);
  process.stdout.write(
    `\nmachine load (1-minute average, ${availableParallelism()} cores): ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: "coordinator",
      date: new Date().toISOString(),
      goalRatios: { pglite: 0.5, postgresql: 0.8 },
      ratios,
      fleetProcesses: fleet.processes,
      loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
      scenarios: json,
    })}\n`,
  );
}

await main();
