import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import type { DatasetId, JobId, JobSpecInput } from "@tributary/protocol";
import { loadDataset, partitionDirichlet, partitionIid, writeIdxShards } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import type { ByzantineSpec } from "./byzantine-spec.js";
import { loadDemoDataset } from "./demo-dataset.js";
import { DEMO_MODELS } from "./demo-models.js";
import { getJson, postJson, quietLogger } from "./demo-rest.js";
import { demoStrategy } from "./demo-strategy.js";
import { ProgressView, type RoundProgress } from "./progress-view.js";
import { type TrainerEvent, TrainerProcess } from "./trainer-processes.js";

export type DemoPartition = { kind: "iid" } | { kind: "dirichlet"; alpha: number };

/** What stays fixed for the life of a session: the data, its owners and their trainer agents. */
export interface DemoSessionOptions {
  readonly clients: number;
  readonly partition: DemoPartition;
  readonly dataset: string;
  readonly dataDir: string;
  readonly port: number;
  readonly interactive: boolean;
  /** The local batch size jobs will use: every owner gets at least two batches of records. */
  readonly batchSize: number;
  /** Total ε each owner's trainer agent lets its dataset spend (δ = 1e-5), across all jobs of the session. */
  readonly budgetEpsilon: number;
  /** Whether the owners also train for jobs without differential privacy. */
  readonly allowNonPrivate: boolean;
  /** Robustness testing: the first `count` trainer agents send attacked updates. */
  readonly byzantine?: ByzantineSpec | undefined;
  /** Records per clipped microbatch in DP-SGD (the trainer's default when omitted). */
  readonly microbatchSize?: number | undefined;
}

/** One job of a session. */
export interface DemoJobOptions {
  readonly rounds: number;
  readonly model: "mlp" | "cnn";
  readonly strategy: string;
  readonly dpEpsilon?: number | undefined;
  readonly localEpochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Seconds a round waits for every trainer (default 600). */
  readonly roundTimeoutS?: number | undefined;
}

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
  byzantine?: ByzantineSpec;
  perRound: RoundRecord[];
}

interface RoundRow {
  round: number;
  kind: "train" | "evaluate";
  status: string;
  metrics: Record<string, number> | null;
  assignments: { status: string }[];
  startedAt: string;
  finishedAt: string | null;
}

/**
 * A coordinator on embedded defaults with one trainer agent process per data owner, ready to run jobs one
 * after another: the dataset is partitioned among the owners, each shard enrolled by its manifest commitment.
 */
export class DemoSession {
  #view: ProgressView;

  private constructor(
    readonly coordinator: Coordinator,
    readonly trainers: TrainerProcess[],
    private readonly datasetIds: DatasetId[],
    /** Training backend each trainer agent reported, by index (filled in as they start). */
    private readonly backends: ReadonlyMap<number, string>,
    private readonly options: DemoSessionOptions,
    private readonly write: (text: string) => void,
    view: ProgressView,
  ) {
    this.#view = view;
  }

  static async start(options: DemoSessionOptions, write: (text: string) => void): Promise<DemoSession> {
    const view = new ProgressView(options.interactive, write);
    const shards = await writeShards(options, view);
    // Each run keeps its own coordinator state beside its shards: a demo's trainers live and die with the run,
    // so the jobs of an earlier run must not linger in this one.
    let session: DemoSession | undefined;
    const note = (text: string) => (session === undefined ? view.note(text) : session.#view.note(text));
    const coordinator = await createCoordinator(
      { port: options.port, dataDir: path.join(shards.runDir, "coordinator") },
      { logger: quietLogger(note) },
    );
    view.note(
      `coordinator: ${coordinator.url} (REST docs ${coordinator.url}/docs), database ${coordinator.database}, mode ${coordinator.config.mode}: TEE attestations are SIMULATED`,
    );
    const connected = new Set<number>();
    const backends = new Map<number, string>();
    session = new DemoSession(coordinator, [], [], backends, options, write, view);
    try {
      for (let index = 0; index < options.clients; index++) {
        await session.#addOwner(index, shards, (i, event) => {
          if (event.type === "ready") backends.set(i, String(event.backend));
          if (event.type === "connected") connected.add(i);
          if (event.type === "error" || event.type === "refused" || event.type === "rejected") {
            note(`  trainer ${i + 1} ${event.type}: ${String(event.message ?? "")}`);
          }
        });
      }
      await waitFor(() => connected.size === options.clients, 180_000, "trainer agents to connect", session.trainers);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** Enrols owner `index`'s shard (its manifest commitment) and starts the owner's trainer agent process. */
  async #addOwner(index: number, shards: Shards, onEvent: (index: number, event: TrainerEvent) => void) {
    const options = this.options;
    const files = shards.train[index] as { images: string; labels: string };
    const evalFiles = shards.test[index] as { images: string; labels: string };
    const { commitment, dataset } = await loadDataset({ format: "idx", parts: [files], numClasses: 10 });
    const enrolled = await postJson<{ id: DatasetId }>(this.coordinator.url, "/datasets", {
      owner: Wallet.createRandom().address,
      name: `owner ${index + 1} shard`,
      commitment,
      recordCount: dataset.count,
      epsilonBudget: options.budgetEpsilon,
      deltaBudget: 1e-5,
    });
    this.datasetIds.push(enrolled.id);
    const attack =
      options.byzantine !== undefined && index < options.byzantine.count ? options.byzantine.attack : undefined;
    this.trainers.push(
      new TrainerProcess({
        index,
        privateKey: Wallet.createRandom().privateKey,
        args: [
          "--coordinator",
          this.coordinator.url,
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
          path.join(shards.runDir, `owner-${index + 1}`),
          "--budget-epsilon",
          String(options.budgetEpsilon),
          ...(options.allowNonPrivate ? ["--allow-non-private"] : []),
          ...(options.microbatchSize === undefined ? [] : ["--microbatch-size", String(options.microbatchSize)]),
          ...(attack === undefined ? [] : ["--attack", attack]),
        ],
        onEvent,
        onLine: (i, line) => this.#view.note(`  trainer ${i + 1}: ${line}`),
      }),
    );
  }

  /** Launches one job over REST, shows its rounds as they finish and returns its metrics once it completes. */
  async runJob(job: DemoJobOptions): Promise<DemoResult> {
    const started = performance.now();
    const base = this.coordinator.url;
    this.#view = new ProgressView(this.options.interactive, this.write);
    const spec: JobSpecInput = {
      name: `demo: ${job.model} on ${this.options.dataset}`,
      model: DEMO_MODELS[job.model],
      datasetIds: this.datasetIds,
      rounds: job.rounds,
      clients: { fraction: 1, min: this.options.clients, max: this.options.clients },
      strategy: demoStrategy(job.strategy, this.options.clients),
      localEpochs: job.localEpochs,
      batchSize: job.batchSize,
      learningRate: job.learningRate,
      dp:
        job.dpEpsilon === undefined
          ? { mode: "off" }
          : { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: job.dpEpsilon, delta: 1e-5 },
      roundTimeoutS: job.roundTimeoutS ?? 600,
    };
    const created = await postJson<{ id: JobId }>(base, "/jobs", spec);
    this.#view.note(
      `job ${created.id}: ${job.rounds} rounds of ${spec.strategy?.name ?? "fedavg"}, ${job.model}, ${job.dpEpsilon === undefined ? "no differential privacy" : `DP-SGD to ε = ${job.dpEpsilon} (δ = 1e-5) per dataset`}`,
    );

    let final: { status: string; finalMetrics: Record<string, number> | null; error: string | null };
    for (;;) {
      final = await getJson(base, `/jobs/${created.id}`);
      const rounds = await getJson<RoundRow[]>(base, `/jobs/${created.id}/rounds`);
      for (const row of rounds) this.#view.update(progressOf(row, job.rounds));
      if (final.status === "completed" || final.status === "failed" || final.status === "cancelled") break;
      if (this.trainers.every((t) => t.exitedCode !== undefined)) throw new Error("every trainer agent exited");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (final.status !== "completed") throw new Error(`job ${created.id} ${final.status}: ${final.error ?? ""}`);
    const rounds = await getJson<RoundRow[]>(base, `/jobs/${created.id}/rounds`);
    const lastTrain = rounds.filter((r) => r.kind === "train").at(-1);
    const byzantine = this.options.byzantine;
    return {
      jobId: created.id,
      rounds: job.rounds,
      clients: this.options.clients,
      accuracy: final.finalMetrics?.evalAccuracy ?? null,
      loss: final.finalMetrics?.evalLoss ?? null,
      epsilonSpent: lastTrain?.metrics?.epsilonSpent ?? null,
      backend: [...new Set(this.backends.values())].join(",") || "unknown",
      database: this.coordinator.database,
      durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
      ...(byzantine === undefined || byzantine.count === 0 ? {} : { byzantine }),
      perRound: rounds.map(roundRecord),
    };
  }

  /** Stops the trainer agents, then the coordinator. */
  async close(): Promise<void> {
    await Promise.all(this.trainers.map((trainer) => trainer.stop()));
    await this.coordinator.close();
  }
}

interface Shards {
  readonly runDir: string;
  readonly train: readonly { images: string; labels: string }[];
  readonly test: readonly { images: string; labels: string }[];
}

/** Loads the dataset and writes each owner's training shard (IID or Dirichlet) and held-out shard (IID). */
async function writeShards(options: DemoSessionOptions, view: ProgressView): Promise<Shards> {
  const data = await loadDemoDataset(options.dataset);
  const byzantine =
    options.byzantine === undefined || options.byzantine.count === 0
      ? ""
      : `, the first ${options.byzantine.count} Byzantine (${options.byzantine.attack})`;
  view.note(
    `dataset: ${data.name}: ${data.train.count} training and ${data.test.count} held-out records, ${options.clients} owners${byzantine}, ${describePartition(options.partition)}`,
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
  const train = await writeIdxShards(data.train, trainParts, runDir, { prefix: "train" });
  const test = await writeIdxShards(data.test, partitionIid(data.test.count, options.clients, "demo-test"), runDir, {
    prefix: "test",
  });
  return { runDir, train, test };
}

function describePartition(partition: DemoPartition): string {
  return partition.kind === "iid" ? "IID split" : `Dirichlet(${partition.alpha}) label skew`;
}

function roundRecord(row: RoundRow): RoundRecord {
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
