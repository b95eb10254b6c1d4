import type { DatasetId, JobId, TrainInstruction } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, signInAs, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

const model = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };
const database = DATABASES[0] as (typeof DATABASES)[number];

interface JobView {
  status: string;
  error: string | null;
  statusMessage: string | null;
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/**
 * A coordinator with short liveness bounds, `datasets` enrolled datasets, a scripted trainer logged in for the
 * first `online` of them, and a job over all of them.
 */
async function start(options: {
  datasets: number;
  online: number;
  job: Record<string, unknown>;
  maxDeadlineExtensions?: number;
  jobStartTimeoutS?: number;
}): Promise<{ coordinator: Coordinator; trainers: ScriptedTrainer[]; jobId: JobId }> {
  const db: TestDatabase = await database.setup();
  cleanup.push(() => db.cleanup());
  const coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: db.dataDir,
      tickSeconds: 0.1,
      ...(options.maxDeadlineExtensions === undefined ? {} : { maxDeadlineExtensions: options.maxDeadlineExtensions }),
      ...(options.jobStartTimeoutS === undefined ? {} : { jobStartTimeoutS: options.jobStartTimeoutS }),
      ...db.config,
    },
    process.env.TEST_LOGS ? {} : { logger: false },
  );
  cleanup.push(() => coordinator.close());
  const wallets = Array.from({ length: options.datasets }, () => Wallet.createRandom());
  const datasetIds: DatasetId[] = [];
  const manifests = wallets.map((_, index) => testManifest(100, `shard ${index}`));
  for (const [index, wallet] of wallets.entries()) {
    const dataset = await ok<{ id: DatasetId }>(
      coordinator.url,
      "POST",
      "/datasets",
      {
        owner: wallet.address,
        name: `shard ${index}`,
        commitment: manifests[index]?.commitment,
        recordCount: 100,
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      await signInAs(coordinator.url, wallet),
    );
    datasetIds.push(dataset.id);
  }
  const trainers: ScriptedTrainer[] = [];
  for (let index = 0; index < options.online; index++) {
    const trainer = await ScriptedTrainer.connect(
      coordinator.url,
      wallets[index] as unknown as Wallet,
      datasetIds[index] as DatasetId,
      { manifest: manifests[index]?.manifest },
    );
    trainers.push(trainer);
    cleanup.push(() => trainer.close());
  }
  const created = await ok<{ id: JobId }>(
    coordinator.url,
    "POST",
    "/jobs",
    {
      name: "liveness",
      model,
      datasetIds,
      learningRate: 0.1,
      ...options.job,
    },
    await signInAs(coordinator.url, Wallet.createRandom()),
  );
  for (const trainer of trainers) expect((await trainer.join(created.id)).ok).toBe(true);
  return { coordinator, trainers, jobId: created.id };
}

const job = (coordinator: Coordinator, jobId: JobId) => ok<JobView>(coordinator.url, "GET", `/jobs/${jobId}`);

async function failed(coordinator: Coordinator, jobId: JobId, timeoutMs = 30_000): Promise<JobView> {
  return until(
    "the job to fail",
    async () => {
      const view = await job(coordinator, jobId);
      return view.status === "failed" ? view : undefined;
    },
    timeoutMs,
  );
}

describe("item 16: liveness", () => {
  it("a dead trainer in a job whose clients.min is every trainer fails the job after maxDeadlineExtensions extensions", async () => {
    const { coordinator, trainers, jobId } = await start({
      datasets: 3,
      online: 3,
      maxDeadlineExtensions: 2,
      job: { rounds: 1, clients: { min: 3, max: 3 }, roundTimeoutS: 0.5 },
    });
    const instructions = await Promise.all(trainers.map((trainer) => trainer.next()));
    // Two answer; the third dies without answering.
    for (const index of [0, 1]) {
      const ack = await trainers[index]?.submit(
        instructions[index]?.instruction as TrainInstruction,
        new Float32Array(10).fill(0.01),
        100,
      );
      expect(ack?.ok).toBe(true);
    }
    trainers[2]?.close();
    const started = Date.now();
    const view = await failed(coordinator, jobId);
    // One timeout, then two extensions of one timeout each: at least 1.5 s, and it does not wait for ever.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(view.error).toMatch(
      /^round 0: 2 of the 3 answers needed after 2 deadline extension\(s\) \(maxDeadlineExtensions 2\); /,
    );
    expect(view.error).toContain(`${trainers[2]?.address.toLowerCase()}: pending`);
    const rounds = await ok<{ round: number; extensions: number; status: string }[]>(
      coordinator.url,
      "GET",
      `/jobs/${jobId}/rounds`,
    );
    expect(rounds.map((round) => round.extensions)).toEqual([2]);
  });

  it("a job naming fewer datasets than clients.min says it can never start, then fails after jobStartTimeoutS", async () => {
    const { coordinator, jobId } = await start({
      datasets: 2,
      online: 2,
      jobStartTimeoutS: 2,
      job: { rounds: 1, clients: { min: 3, max: 3 } },
    });
    const waiting = await until("the job to say why it cannot start", async () => {
      const view = await job(coordinator, jobId);
      return view.statusMessage === null ? undefined : view;
    });
    expect(waiting.status).toBe("running");
    expect(waiting.statusMessage).toMatch(
      /^round 0 cannot start yet: clients\.min is 3 but the job names only 2 dataset\(s\) \(\d+, \d+\), so it can never have 3 trainers$/,
    );
    const view = await failed(coordinator, jobId);
    expect(view.error).toMatch(
      /^round 0 could not start after waiting 2 s \(jobStartTimeoutS\): clients\.min is 3 but the job names only 2 dataset\(s\)/,
    );
    expect(view.statusMessage).toBeNull();
  });

  it("a job whose trainers did not log in says how many are online, and fails after jobStartTimeoutS", async () => {
    const { coordinator, jobId } = await start({
      datasets: 3,
      online: 1,
      jobStartTimeoutS: 2,
      job: { rounds: 1, clients: { min: 2, max: 3 } },
    });
    // The first tick may run before the trainer's join is counted ("0 of the 2"); wait for the count to reach it.
    const waiting = await until("the job to count its one online trainer", async () => {
      const view = await job(coordinator, jobId);
      return view.statusMessage?.includes(" 1 of the 2 ") === true || view.status !== "running" ? view : undefined;
    });
    expect(waiting.statusMessage).toMatch(
      /^round 0 cannot start yet: 1 of the 2 admitted trainers needed \(clients\.min\) are online for datasets /,
    );
    const view = await failed(coordinator, jobId);
    expect(view.error).toMatch(/^round 0 could not start after waiting 2 s \(jobStartTimeoutS\): 1 of the 2 admitted/);
  });
});
