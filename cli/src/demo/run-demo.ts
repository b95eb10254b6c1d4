import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { LoggerService } from "@nestjs/common";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import type { DatasetId, JobId, JobSpecInput } from "@tributary/protocol";
import { loadDataset, partitionDirichlet, partitionIid, writeIdxShards } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { loadDemoDataset } from "./demo-dataset.js";
import { DEMO_MODELS } from "./demo-models.js";
import { demoStrategy } from "./demo-strategy.js";
import { ProgressView, type RoundProgress } from "./progress-view.js";
import { type TrainerEvent, TrainerProcess } from "./trainer-processes.js";

export interface DemoOptions {
  readonly clients: number;
  readonly rounds: number;
  readonly model: "mlp" | "cnn";
  readonly partition: { kind: "iid" } | { kind: "dirichlet"; alpha: number };
  readonly strategy: string;
  readonly dpEpsilon?: number | undefined;
  readonly dataset: string;
  readonly dataDir: string;
  readonly port: number;
  readonly exit: boolean;
  readonly json: boolean;
  readonly interactive: boolean;
  readonly localEpochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
}

export interface DemoResult {
  jobId: string;
  rounds: number;
  clients: number;
  accuracy: number | null;
  loss: number | null;
  epsilonSpent: number | null;
  backend: string;
  database: string;
  durationS: number;
}

interface RoundRow {
  round: number;
  kind: "train" | "evaluate";
  status: string;
  metrics: Record<string, number> | null;
  assignments: { status: string }[];
}

async function get<T>(base: string, url: string): Promise<T> {
  const response = await fetch(`${base}${url}`);
  if (!response.ok) throw new Error(`GET ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function post<T>(base: string, url: string, body: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Coordinator log lines that matter to someone watching the demo: warnings and errors. */
function quietLogger(note: (text: string) => void): LoggerService {
  return {
    log: () => {},
    debug: () => {},
    verbose: () => {},
    warn: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}warning: ${String(message)}`),
    error: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}error: ${String(message)}`),
  };
}

/**
 * `npm start`: the whole federated flow on one machine. Partitions a real dataset among N data owners, starts
 * the coordinator on embedded defaults, enrols each shard (its manifest commitment), starts one trainer agent
 * process per owner, launches a job and shows each round as it trains.
 */
export async function runDemo(
  options: DemoOptions,
  write: (text: string) => void,
): Promise<{ result: DemoResult; coordinator: Coordinator; trainers: TrainerProcess[] }> {
  const started = performance.now();
  const view = new ProgressView(options.interactive, write);
  const data = await loadDemoDataset(options.dataset);
  view.note(
    `dataset: ${data.name}: ${data.train.count} training and ${data.test.count} held-out records, ${options.clients} owners, ${describePartition(options)}`,
  );
  const runDir = path.resolve(options.dataDir, "demo", `run-${Date.now()}`);
  await mkdir(runDir, { recursive: true });
  const trainParts =
    options.partition.kind === "iid"
      ? partitionIid(data.train.count, options.clients, "demo-train")
      : partitionDirichlet(data.train.labels, 10, options.clients, {
          alpha: options.partition.alpha,
          seed: "demo-train",
          minRecordsPerClient: 2 * options.batchSize,
        });
  const trainFiles = await writeIdxShards(data.train, trainParts, runDir, { prefix: "train" });
  const testFiles = await writeIdxShards(
    data.test,
    partitionIid(data.test.count, options.clients, "demo-test"),
    runDir,
    { prefix: "test" },
  );

  // Each run keeps its own coordinator state beside its shards: a demo's trainers live and die with the run, so
  // the jobs of an earlier run must not linger in this one.
  const coordinator = await createCoordinator(
    { port: options.port, dataDir: path.join(runDir, "coordinator") },
    { logger: quietLogger((text) => view.note(text)) },
  );
  view.note(
    `coordinator: ${coordinator.url} (REST docs ${coordinator.url}/docs), database ${coordinator.database}, mode ${coordinator.config.mode}: TEE attestations are SIMULATED`,
  );

  const backends = new Map<number, string>();
  const connected = new Set<number>();
  const trainers: TrainerProcess[] = [];
  const datasetIds: DatasetId[] = [];
  const budget = options.dpEpsilon ?? 10;
  for (let index = 0; index < options.clients; index++) {
    const files = trainFiles[index] as { images: string; labels: string };
    const evalFiles = testFiles[index] as { images: string; labels: string };
    const { commitment, dataset } = await loadDataset({ format: "idx", parts: [files], numClasses: 10 });
    const owner = Wallet.createRandom();
    const enrolled = await post<{ id: DatasetId }>(coordinator.url, "/datasets", {
      owner: owner.address,
      name: `owner ${index + 1} shard`,
      commitment,
      recordCount: dataset.count,
      epsilonBudget: budget,
      deltaBudget: 1e-5,
    });
    datasetIds.push(enrolled.id);
    const trainerKey = Wallet.createRandom().privateKey;
    trainers.push(
      new TrainerProcess({
        index,
        privateKey: trainerKey,
        args: [
          "--coordinator",
          coordinator.url,
          "--dataset-id",
          enrolled.id,
          "--format",
          "idx",
          "--data",
          files.images,
          "--labels",
          files.labels,
          "--eval-data",
          evalFiles.images,
          "--eval-labels",
          evalFiles.labels,
          "--state-dir",
          path.join(runDir, `owner-${index + 1}`),
          "--budget-epsilon",
          String(budget),
          ...(options.dpEpsilon === undefined ? ["--allow-non-private"] : []),
        ],
        onEvent: (i, event: TrainerEvent) => {
          if (event.type === "ready") backends.set(i, String(event.backend));
          if (event.type === "connected") connected.add(i);
          if (event.type === "error" || event.type === "refused" || event.type === "rejected") {
            view.note(`  trainer ${i + 1} ${event.type}: ${String(event.message ?? "")}`);
          }
        },
        onLine: (i, line) => view.note(`  trainer ${i + 1}: ${line}`),
      }),
    );
  }
  await waitFor(() => connected.size === options.clients, 120_000, "trainer agents to connect", trainers);

  const spec: JobSpecInput = {
    name: `demo: ${options.model} on ${options.dataset}`,
    model: DEMO_MODELS[options.model],
    datasetIds,
    rounds: options.rounds,
    clients: { fraction: 1, min: options.clients, max: options.clients },
    strategy: demoStrategy(options.strategy, options.clients),
    localEpochs: options.localEpochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    dp:
      options.dpEpsilon === undefined
        ? { mode: "off" }
        : { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: options.dpEpsilon, delta: 1e-5 },
    roundTimeoutS: 600,
  };
  const job = await post<{ id: JobId }>(coordinator.url, "/jobs", spec);
  view.note(
    `job ${job.id}: ${options.rounds} rounds of ${spec.strategy?.name ?? "fedavg"}, ${options.model}, ${options.dpEpsilon === undefined ? "no differential privacy" : `DP-SGD to ε = ${options.dpEpsilon} (δ = 1e-5) per dataset`}`,
  );

  let final: { status: string; finalMetrics: Record<string, number> | null; error: string | null };
  for (;;) {
    final = await get(coordinator.url, `/jobs/${job.id}`);
    const rounds = await get<RoundRow[]>(coordinator.url, `/jobs/${job.id}/rounds`);
    for (const row of rounds) view.update(progressOf(row, options.rounds));
    if (final.status === "completed" || final.status === "failed" || final.status === "cancelled") break;
    if (trainers.every((t) => t.exitedCode !== undefined)) throw new Error("every trainer agent exited");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (final.status !== "completed") throw new Error(`job ${job.id} ${final.status}: ${final.error ?? ""}`);
  const rounds = await get<RoundRow[]>(coordinator.url, `/jobs/${job.id}/rounds`);
  const lastTrain = rounds.filter((r) => r.kind === "train").at(-1);
  const result: DemoResult = {
    jobId: job.id,
    rounds: options.rounds,
    clients: options.clients,
    accuracy: final.finalMetrics?.evalAccuracy ?? null,
    loss: final.finalMetrics?.evalLoss ?? null,
    epsilonSpent: lastTrain?.metrics?.epsilonSpent ?? null,
    backend: [...new Set(backends.values())].join(",") || "unknown",
    database: coordinator.database,
    durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  return { result, coordinator, trainers };
}

function describePartition(options: DemoOptions): string {
  return options.partition.kind === "iid" ? "IID split" : `Dirichlet(${options.partition.alpha}) label skew`;
}

function progressOf(row: RoundRow, rounds: number): RoundProgress {
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

async function waitFor(
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
