/**
 * `npm run bench:load`: many connected trainers over two coordinator replicas sharing PostgreSQL and Redis.
 *
 * Two coordinator processes (the built `coordinator/dist/main.js`, as `CoordinatorProcess` starts them) share a fresh
 * schema of the PostgreSQL at 127.0.0.1:5432 and the Redis at 127.0.0.1:6379. `--fleets=N` trainer-fleet processes
 * (default 2) enrol `--trainers=N` datasets (default 1,000; the issue's goal is 10,000) and connect one trainer per
 * dataset, the protocol's own clients (sign-in in the handshake, manifest, join with a simulated attestation, signed
 * binary updates) without training, trainer i to replica i mod 2. Then one job over all of them runs one round
 * (`--params=N` per update, default 1,000), driven by whichever replica holds its lease, its instructions reaching
 * the other replica's trainers through Redis.
 *
 * Reported: connections held (trainers online by `GET /trainers`, which asks the shared presence), each replica's
 * resident memory per connection (its RSS with everyone connected less its RSS before, over its connections), the
 * round's time (`rounds.started_at` to `finished_at`), and `GET /health` latency on both replicas (one request
 * every 50 ms to each) while idle with everyone connected and during the round. A table, then one JSON line.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import type { JobId } from "@tributary/protocol";
import { Wallet } from "ethers";
import { CoordinatorProcess, freePort } from "../test-support/coordinator-process.js";
import { DATABASES } from "../test-support/databases.js";
import { ok, signInAs, until } from "../test-support/rest.js";
import { denseModelWithParams } from "./synthetic-updates.js";
import { TrainerFleet } from "./trainer-fleet.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** Resident memory of a process, in bytes (Linux `/proc`). */
async function rss(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** `GET /health` on every replica every `everyMs` until `stop` resolves; the latencies, in ms. */
async function probeHealth(urls: readonly string[], stop: Promise<unknown>, everyMs = 50): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    await Promise.all(
      urls.map(async (url) => {
        const started = performance.now();
        const response = await fetch(`${url}/health`);
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - started);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return latencies;
}

const summary = (latencies: readonly number[]) => ({
  samples: latencies.length,
  p50Ms: Number(percentile(latencies, 50).toFixed(1)),
  p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  maxMs: Number(Math.max(...latencies).toFixed(1)),
});

async function main(): Promise<void> {
  const trainers = Number(option("trainers") ?? 1000);
  const params = Number(option("params") ?? 1000);
  const loadBefore = loadavg()[0] as number;
  process.stderr.write(
    `bench:load ${new Date().toISOString()}: ${trainers} trainers over 2 replicas, one round of ${params}-parameter updates\n`,
  );
  const db = await (DATABASES.find((database) => database.name === "postgresql") as (typeof DATABASES)[number]).setup();
  const env = (node: string) => ({
    ...db.env,
    TRIBUTARY_DATA_DIR: db.dataDir,
    REDIS_URL,
    TRIBUTARY_NODE_ID: node,
    TRIBUTARY_SESSION_SECRET: `0x${"5e".repeat(32)}`,
    TRIBUTARY_MAX_SOCKETS_PER_IP: "1000000",
    TRIBUTARY_REQUESTS_PER_MINUTE: "10000000",
  });
  const replicas: CoordinatorProcess[] = [];
  const fleet = TrainerFleet.start(Number(option("fleets") ?? 2));
  try {
    for (const node of ["load-a", "load-b"]) replicas.push(await CoordinatorProcess.start(await freePort(), env(node)));
    const urls = replicas.map((replica) => replica.url);
    const before = await Promise.all(replicas.map((replica) => rss(replica.pid)));

    const connecting = performance.now();
    const datasetIds = await fleet.connectTrainers(urls, trainers);
    const connectS = (performance.now() - connecting) / 1000;
    const listed = await ok<{ online: boolean }[]>(urls[0] as string, "GET", "/trainers");
    const held = listed.filter((trainer) => trainer.online).length;
    const after = await Promise.all(replicas.map((replica) => rss(replica.pid)));
    const perReplica = replicas.map((_, index) => Math.ceil((trainers - index) / replicas.length));
    const bytesPerConnection = after.map(
      (bytes, index) => (bytes - (before[index] as number)) / (perReplica[index] as number),
    );
    process.stderr.write(`  ${held} of ${trainers} trainers online after ${connectS.toFixed(1)} s\n`);

    let idleDone: () => void = () => {};
    const idle = probeHealth(urls, new Promise<void>((resolve) => (idleDone = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    idleDone();
    const idleLatencies = await idle;

    const researcher = new Wallet(`0x${randomBytes(32).toString("hex")}`);
    const job = await ok<{ id: JobId }>(
      urls[0] as string,
      "POST",
      "/jobs",
      {
        name: `load ${trainers}`,
        model: denseModelWithParams(params),
        datasetIds,
        rounds: 1,
        clients: { fraction: 1, min: trainers, max: trainers },
        strategy: { name: "fedavg" },
        learningRate: 0.1,
        roundTimeoutS: 3600,
      },
      await signInAs(urls[0] as string, researcher),
    );
    const running = (async () => {
      const stats = await fleet.runJob(job.id, trainers, params, 1);
      const round = await until(
        "the round's aggregation",
        async () => {
          const rows = await ok<
            { round: number; kind: string; status: string; startedAt: string; finishedAt: string }[]
          >(urls[1] as string, "GET", `/jobs/${job.id}/rounds`);
          const first = rows.find((row) => row.round === 0 && row.kind === "train");
          return first?.status === "done" ? first : undefined;
        },
        600_000,
      );
      return { stats, round };
    })();
    const [roundLatencies, { stats, round }] = await Promise.all([probeHealth(urls, running), running]);
    const roundMs = Date.parse(round.finishedAt) - Date.parse(round.startedAt);
    const accepted = stats[0]?.accepted ?? 0;
    await ok(
      urls[0] as string,
      "POST",
      `/jobs/${job.id}/cancel`,
      undefined,
      await signInAs(urls[0] as string, researcher),
    );
    await fleet.disconnectTrainers();

    const loadAfter = loadavg()[0] as number;
    const rows: [string, string][] = [
      ["trainers connected (goal 10,000)", `${trainers}`],
      ["connections held (online, shared presence)", `${held}`],
      ["connect: enrol + sign in + manifest, all", `${connectS.toFixed(1)} s`],
      ...replicas.map((_replica, index): [string, string] => [
        `memory per connection, replica ${index === 0 ? "a" : "b"} (${perReplica[index]} connections)`,
        `${((bytesPerConnection[index] as number) / 1024).toFixed(1)} KiB (RSS ${((before[index] as number) / 2 ** 20).toFixed(0)} → ${((after[index] as number) / 2 ** 20).toFixed(0)} MiB)`,
      ]),
      [
        "round over all of them (opened → aggregated)",
        `${(roundMs / 1000).toFixed(2)} s, ${accepted} updates accepted`,
      ],
      [
        "GET /health idle: p50 / p99 / max",
        `${summary(idleLatencies).p50Ms} / ${summary(idleLatencies).p99Ms} / ${summary(idleLatencies).maxMs} ms`,
      ],
      [
        "GET /health during the round: p50 / p99 / max",
        `${summary(roundLatencies).p50Ms} / ${summary(roundLatencies).p99Ms} / ${summary(roundLatencies).maxMs} ms`,
      ],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    process.stdout.write(`${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")}\n`);
    process.stdout.write(
      `machine load (1-minute average, ${availableParallelism()} cores): ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: "load",
        date: new Date().toISOString(),
        replicas: replicas.length,
        fleetProcesses: fleet.processes,
        trainers,
        goalTrainers: 10_000,
        connectionsHeld: held,
        connectS: Number(connectS.toFixed(1)),
        bytesPerConnection: bytesPerConnection.map(Math.round),
        params,
        roundMs,
        updatesAccepted: accepted,
        healthIdle: summary(idleLatencies),
        healthDuringRound: summary(roundLatencies),
        loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
      })}\n`,
    );
  } finally {
    await fleet.stop();
    for (const replica of replicas) await replica.kill();
    await db.cleanup();
  }
}

await main();
