import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import { initTrainingBackend } from "@tributary/model-runtime";
import { serveMetrics } from "@tributary/observability";
import { type DatasetId, type JobId, signIn } from "@tributary/protocol";
import {
  type AgentEvent,
  DatasetPrivacyGuard,
  EvaluationAllowance,
  loadDataset,
  TrainerAgent,
  TrainerMetrics,
} from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition } from "../../coordinator/test-support/one-round-job.js";
import { until } from "../../coordinator/test-support/rest.js";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";

// A real trainer agent asked to stop (as SIGTERM does in `tributary trainer`) while it trains a round: the round's
// update, whose ε is already charged, must still reach the coordinator, and nothing after it may start. Its metrics
// endpoint counts what happened.

let dir: string;
let coordinator: Coordinator;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-agent-stop-"));
  await initTrainingBackend({ log: () => {} });
  coordinator = await createCoordinator(
    { port: 0, dataDir: path.join(dir, "coordinator"), tickSeconds: 0.2 },
    { logger: false },
  );
});

afterAll(async () => {
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function post<T>(route: string, body: unknown, signer: Wallet): Promise<T> {
  const { token } = await signIn(coordinator.url, signer, coordinator.config.chainId);
  const response = await fetch(`${coordinator.url}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe("a trainer agent stopping mid-round", () => {
  it("delivers the round it is training, starts nothing after it, and counts it in its metrics", async () => {
    const files = await writeMnistIdx(path.join(dir, "owner"), { train: 200, test: 50 });
    const train = await loadDataset({ format: "idx", parts: [files.train], numClasses: 10 });
    const evaluation = await loadDataset({ format: "idx", parts: [files.test], numClasses: 10 });
    const wallet = Wallet.createRandom() as unknown as Wallet;
    const dataset = await post<{ id: DatasetId }>(
      "/datasets",
      {
        owner: wallet.address,
        name: "owner",
        commitment: train.commitment,
        recordCount: train.dataset.count,
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      wallet,
    );
    const stateDir = path.join(dir, "owner", "state");
    const privacy = await DatasetPrivacyGuard.open(stateDir, dataset.id, {
      epsilon: 8,
      delta: 1e-5,
      microbatchSize: 8,
    });
    const metrics = new TrainerMetrics(dataset.id, async () => {
      const report = await DatasetPrivacyGuard.readReport(stateDir, dataset.id);
      return report === undefined
        ? undefined
        : { spentEpsilon: report.spent.epsilon, budgetEpsilon: report.budget.epsilon };
    });
    const server = await serveMetrics(metrics.registry, "127.0.0.1", 0);
    const events: AgentEvent[] = [];
    let stopping: Promise<string> | undefined;
    const agent: TrainerAgent = new TrainerAgent({
      coordinatorUrl: coordinator.url,
      wallet,
      datasetId: dataset.id,
      train: train.dataset,
      evaluation: evaluation.dataset,
      commitment: train.commitment,
      manifest: train.manifest,
      enclave: new SimulatedEnclave({ warn: () => {} }),
      privacy,
      disclosure: await EvaluationAllowance.open(stateDir, dataset.id, {}),
      onEvent: (event) => {
        metrics.observe(event);
        events.push(event);
      },
      // Trained, ε charged, update not yet signed or sent: the moment a SIGTERM hurts most.
      updateTransform: (update) => {
        stopping ??= agent.shutdown(60_000);
        return update;
      },
    });
    try {
      await agent.start();
      const job = await post<{ id: JobId }>(
        "/jobs",
        {
          name: "stopped",
          model: {
            inputShape: [784],
            layers: [{ type: "dense", units: 10, activation: "softmax" }],
            loss: "sparseCategoricalCrossentropy",
          },
          datasetIds: [dataset.id],
          rounds: 2,
          clients: { min: 1, max: 1 },
          learningRate: 0.1,
          batchSize: 32,
          dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 4, delta: 1e-5 },
        },
        Wallet.createRandom() as unknown as Wallet,
      );
      await until("the agent to start stopping", async () => stopping, 120_000);
      expect(await stopping).toBe("drained");
      const trained = events.filter((event) => event.type === "trained");
      expect(trained.map((event) => (event as { round: number }).round)).toEqual([0]);
      const rounds = (await (await fetch(`${coordinator.url}/jobs/${job.id}/rounds`)).json()) as {
        round: number;
        metrics: Record<string, number> | null;
        assignments: { trainer: string; status: string }[];
      }[];
      expect(rounds[0]?.assignments.find((a) => a.trainer === agent.address)?.status).toBe("submitted");
      const samples = parseExposition(await (await fetch(server.url)).text());
      const sample = (name: string, labels: Record<string, string> = {}) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
      expect(sample("tributary_trainer_rounds_total", { outcome: "trained" })).toBe(1);
      expect(sample("tributary_trainer_jobs_total", { outcome: "joined" })).toBe(1);
      expect(sample("tributary_trainer_training_seconds_count")).toBe(1);
      // The ε its ledger on disk shows spent is the cumulative ε the agent signed in the round's update.
      const signed = (trained[0] as { epsilonSpent: number }).epsilonSpent;
      expect(sample("tributary_trainer_epsilon_spent", { dataset: dataset.id })).toBeCloseTo(signed, 12);
      expect(sample("tributary_trainer_epsilon_budget", { dataset: dataset.id })).toBe(8);
    } finally {
      agent.stop();
      await server.close();
    }
  });
});
