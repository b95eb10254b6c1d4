import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { type OneRoundJob, parseExposition, runOneRoundJob } from "../../test-support/one-round-job.js";
import { ok, signInAs, until } from "../../test-support/rest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

type Samples = ReturnType<typeof parseExposition>;

async function scrape(url: string, token?: string): Promise<Samples> {
  const response = await fetch(
    `${url}/metrics`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/** The value of one sample (undefined when absent); `labels` must match exactly those given. */
function value(samples: Samples, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return samples.find(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([key, label]) => sample.labels[key] === label),
  )?.value;
}

interface RoundView {
  round: number;
  kind: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  metrics: Record<string, number>;
  scoring: { method: string; elapsedMs: number } | null;
}

describe.each(DATABASES)("the coordinator's /metrics on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;
  let job: OneRoundJob;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, ...db.config },
      { logger: false },
    );
    job = await runOneRoundJob(coordinator.url);
  }, 90_000);

  afterAll(async () => {
    job?.trainer.close();
    await coordinator?.close();
    await db?.cleanup();
  });

  it("reports the jobs and rounds the REST API shows, the round's events, the update outcomes and the dataset's ε", async () => {
    const samples = await scrape(coordinator.url);
    const jobs = await ok<{ status: string }[]>(coordinator.url, "GET", "/jobs");
    for (const status of new Set(jobs.map((j) => j.status))) {
      expect(value(samples, "tributary_jobs", { status })).toBe(jobs.filter((j) => j.status === status).length);
    }
    const rounds = await ok<RoundView[]>(coordinator.url, "GET", `/jobs/${job.jobId}/rounds`);
    expect(rounds.map((r) => [r.kind, r.status])).toEqual([
      ["train", "done"],
      ["evaluate", "done"],
    ]);
    expect(value(samples, "tributary_rounds", { status: "done", kind: "train" })).toBe(1);
    expect(value(samples, "tributary_rounds", { status: "done", kind: "evaluate" })).toBe(1);
    expect(value(samples, "tributary_rounds_total", { kind: "train" })).toBe(1);
    expect(value(samples, "tributary_rounds_total", { kind: "evaluate" })).toBe(1);

    // The round's duration: from its opening to its end as the REST API records them (the metric is taken just
    // after the round's transaction commits, so it may be a little longer).
    const train = rounds[0] as RoundView;
    const recorded = (Date.parse(train.finishedAt) - Date.parse(train.startedAt)) / 1000;
    const observed = value(samples, "tributary_round_duration_seconds_sum", { kind: "train" }) as number;
    expect(value(samples, "tributary_round_duration_seconds_count", { kind: "train" })).toBe(1);
    expect(observed).toBeGreaterThanOrEqual(recorded - 0.001);
    expect(observed - recorded).toBeLessThan(1);

    // Aggregation and scoring time: exactly the milliseconds the round's record shows.
    expect(value(samples, "tributary_aggregation_seconds_count", { strategy: "fedavg" })).toBe(1);
    expect(value(samples, "tributary_aggregation_seconds_sum", { strategy: "fedavg" })).toBeCloseTo(
      (train.metrics.aggregationMs as number) / 1000,
      9,
    );
    const method = train.scoring?.method as string;
    expect(value(samples, "tributary_scoring_seconds_sum", { method })).toBeCloseTo(
      (train.scoring?.elapsedMs as number) / 1000,
      9,
    );

    expect(value(samples, "tributary_updates_accepted_total")).toBe(1);
    // The second copy is refused as a duplicate, or as late when the round (clients.min 1) closed first.
    const rejected = samples.filter((sample) => sample.name === "tributary_updates_rejected_total");
    expect(rejected.map((sample) => sample.labels.reason).every((r) => r === "duplicate" || r === "round-closed")).toBe(
      true,
    );
    expect(rejected.reduce((sum, sample) => sum + sample.value, 0)).toBe(job.duplicates);
    expect(value(samples, "tributary_dataset_epsilon_spent", { dataset: job.datasetId })).toBe(job.epsilonSpent);
    // Off chain the outbox stays empty.
    expect(samples.filter((s) => s.name === "tributary_chain_outbox_pending_intents")).toEqual([]);
    expect(value(samples, "tributary_chain_outbox_lag_seconds")).toBe(0);
    // The process metrics.
    expect(value(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value(samples, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("counts each REST request under its route pattern and status, and echoes or assigns its request id", async () => {
    const count = (samples: Samples) =>
      value(samples, "tributary_http_request_duration_seconds_count", {
        method: "GET",
        route: "/jobs/:id",
        status: "200",
      }) ?? 0;
    const before = count(await scrape(coordinator.url));
    const given = await fetch(`${coordinator.url}/jobs/${job.jobId}`, { headers: { "x-request-id": "trace-42" } });
    expect(given.headers.get("x-request-id")).toBe("trace-42");
    const assigned = await fetch(`${coordinator.url}/jobs/${job.jobId}`, { headers: { "x-request-id": "no spaces!" } });
    expect(assigned.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await fetch(`${coordinator.url}/jobs/${job.jobId}`);
    expect(count(await scrape(coordinator.url)) - before).toBe(3);
    const missing = await scrape(coordinator.url);
    await fetch(`${coordinator.url}/jobs/999999`);
    const after = await scrape(coordinator.url);
    const notFound = { method: "GET", route: "/jobs/:id", status: "404" };
    expect(
      (value(after, "tributary_http_request_duration_seconds_count", notFound) ?? 0) -
        (value(missing, "tributary_http_request_duration_seconds_count", notFound) ?? 0),
    ).toBe(1);
  });

  it("counts the trainers connected over socket.io", async () => {
    expect(value(await scrape(coordinator.url), "tributary_socket_connections")).toBe(1);
    job.trainer.close();
    await until("the trainer to be gone", async () =>
      value(await scrape(coordinator.url), "tributary_socket_connections") === 0 ? true : undefined,
    );
  });
});

describe("GET /metrics with a metrics token configured", () => {
  it("answers only a request bearing the token: not anonymous, not a wrong token, not a signed-in session", async () => {
    const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    const token = "scrape-token-0123456789";
    const coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, metricsToken: token },
      { logger: false },
    );
    try {
      const status = async (authorization?: string) =>
        (await fetch(`${coordinator.url}/metrics`, authorization === undefined ? {} : { headers: { authorization } }))
          .status;
      expect(await status()).toBe(401);
      expect(await status(`Bearer ${token}x`)).toBe(401);
      expect(await status(`Bearer ${await signInAs(coordinator.url, Wallet.createRandom())}`)).toBe(401);
      expect(await status(`Bearer ${token}`)).toBe(200);
      // Every other route is as it was: the token is no session.
      expect((await fetch(`${coordinator.url}/health`)).status).toBe(200);
      expect((await fetch(`${coordinator.url}/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        401,
      );
    } finally {
      await coordinator.close();
      await db.cleanup();
    }
  });
});
