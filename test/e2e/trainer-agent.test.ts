import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import { initTrainingBackend } from "@tributary/model-runtime";
import { type DatasetId, type JobId, signIn } from "@tributary/protocol";
import { DatasetPrivacyGuard, EvaluationAllowance, loadDataset, TrainerAgent } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";

// Two real trainer agents (tfjs training, DP-SGD, signed updates over socket.io) against a real coordinator on
// embedded PGlite. One owner's budget cannot pay for the job: it must refuse before touching its data, and the
// job must go on with the other.

let dir: string;
let coordinator: Coordinator;
const agents: TrainerAgent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-agent-e2e-"));
  await initTrainingBackend({ log: () => {} });
  coordinator = await createCoordinator(
    { port: 0, dataDir: path.join(dir, "coordinator"), tickSeconds: 0.2 },
    { logger: false },
  );
});

afterAll(async () => {
  for (const agent of agents) agent.stop();
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

/** POST as `signer`, signed in with EIP-4361 (owners enrol their datasets, the researcher creates jobs). */
async function post<T>(url: string, body: unknown, signer: Wallet): Promise<T> {
  const { token } = await signIn(coordinator.url, signer, coordinator.config.chainId);
  const response = await fetch(`${coordinator.url}${url}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function get<T>(url: string): Promise<T> {
  return (await (await fetch(`${coordinator.url}${url}`)).json()) as T;
}

async function owner(name: string, records: number, budgetEpsilon: number) {
  const files = await writeMnistIdx(path.join(dir, name), { train: records, test: 100 });
  const train = await loadDataset({ format: "idx", parts: [files.train], numClasses: 10 });
  const evaluation = await loadDataset({ format: "idx", parts: [files.test], numClasses: 10 });
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const dataset = await post<{ id: DatasetId }>(
    "/datasets",
    {
      owner: wallet.address,
      name,
      commitment: train.commitment,
      recordCount: train.dataset.count,
      epsilonBudget: budgetEpsilon,
      deltaBudget: 1e-5,
    },
    wallet,
  );
  const stateDir = path.join(dir, name, "state");
  const privacy = await DatasetPrivacyGuard.open(stateDir, dataset.id, {
    epsilon: budgetEpsilon,
    delta: 1e-5,
    microbatchSize: 8,
  });
  const events: { type: string; [key: string]: unknown }[] = [];
  const agent = new TrainerAgent({
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
    onEvent: (event) => events.push(event),
  });
  agents.push(agent);
  await agent.start();
  return {
    dataset: dataset.id,
    agent,
    events,
    ledgerFile: path.join(stateDir, `privacy-ledger-${dataset.id}.json`),
    privacy,
  };
}

describe("trainer agents against a coordinator", () => {
  it("trains with DP-SGD within the job's ε, and an owner whose budget is too small refuses without spending", async () => {
    const rich = await owner("rich", 320, 8);
    const poor = await owner("poor", 200, 0.5);
    // Two rounds of at least one trainer each: round 0 opens as soon as one owner is admitted (the other may still be
    // attesting), so the poor owner is asked in round 0, round 1, or both; each time it must refuse.
    const job = await post<{ id: JobId }>(
      "/jobs",
      {
        name: "dp job",
        model: {
          inputShape: [784],
          layers: [
            { type: "dense", units: 32, activation: "relu" },
            { type: "dense", units: 10, activation: "softmax" },
          ],
          loss: "sparseCategoricalCrossentropy",
        },
        datasetIds: [rich.dataset, poor.dataset],
        rounds: 2,
        clients: { min: 1, max: 2 },
        learningRate: 0.1,
        batchSize: 32,
        dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 4, delta: 1e-5 },
      },
      Wallet.createRandom() as unknown as Wallet,
    );

    let status = "";
    for (let waited = 0; waited < 180_000 && status !== "completed" && status !== "failed"; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await get<{ status: string }>(`/jobs/${job.id}`)).status;
    }
    expect(status).toBe("completed");
    const rounds = await get<
      {
        kind: string;
        metrics: Record<string, number>;
        assignments: { trainer: string; status: string; reason: string | null }[];
      }[]
    >(`/jobs/${job.id}/rounds`);
    const training = rounds.filter((round) => round.kind === "train");
    expect(training).toHaveLength(2);
    const asked = training.flatMap((round) => round.assignments.filter((a) => a.trainer === poor.agent.address));
    expect(asked.length).toBeGreaterThan(0);
    for (const refused of asked) {
      expect(refused.status).toBe("refused");
      expect(refused.reason).toMatch(/^PRIVACY_BUDGET_EXCEEDED: /);
    }
    for (const round of training) {
      expect(round.assignments.find((a) => a.trainer === rich.agent.address)?.status).toBe("submitted");
    }
    // The refusing owner's ledger on disk records no spending at all; the other's stays within the job's target.
    const poorLedger = JSON.parse(await readFile(poor.ledgerFile, "utf8")) as {
      datasets: Record<string, { gaussian: unknown[] }>;
    };
    expect(poorLedger.datasets[poor.dataset]?.gaussian).toEqual([]);
    const spent = rich.privacy.spent().epsilon;
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(4);
    expect(training[1]?.metrics.epsilonSpent).toBe(spent);
    expect(poor.events.some((e) => e.type === "refused")).toBe(true);
  });
});
