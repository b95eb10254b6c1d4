import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import { initTrainingBackend } from "@tributary/model-runtime";
import { type DatasetId, type JobId, signIn } from "@tributary/protocol";
import { DatasetPrivacyGuard, EvaluationAllowance, loadDataset, TrainerAgent } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { writeMnistIdx } from "../../trainer-agent/test-support/mnist-package.js";
import { SocketIoRelay } from "./helpers/socket-io-relay.js";

// A real trainer agent reaches a real coordinator (embedded PGlite) through a TCP relay (test/e2e/helpers) that can
// cut the connection and that records, per engine.io session, the socket.io events the agent sends. The connection
// is lost while the agent holds a trained update it has not sent yet, two ways: the network drops, or the training
// kept the event loop busy past the heartbeat (socket.io then buffers the emit and, before this fix, replayed it
// on the next connection before its login). The update must be sent only after the new connection's manifest
// upload (the agent's login), arrive exactly once, and never be refused.

let dir: string;
let coordinator: Coordinator;
let origin: string;
const relay = new SocketIoRelay();
const agents: TrainerAgent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-reconnect-e2e-"));
  await initTrainingBackend({ log: () => {} });
  origin = `http://127.0.0.1:${await relay.listen()}`;
  coordinator = await createCoordinator(
    { port: 0, dataDir: path.join(dir, "coordinator"), tickSeconds: 0.2, publicOrigin: origin },
    { logger: false },
  );
  relay.target = Number(new URL(coordinator.url).port);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  for (const agent of agents) agent.stop();
  relay.close();
  await coordinator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function post<T>(url: string, body: unknown, signer: Wallet): Promise<T> {
  const { token } = await signIn(origin, signer, coordinator.config.chainId);
  const response = await fetch(`${origin}${url}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Reads straight from the coordinator, not through the relay the test cuts. */
async function get<T>(url: string): Promise<T> {
  return (await (await fetch(`${coordinator.url}${url}`)).json()) as T;
}

/** Runs a one-round job for a fresh owner whose agent calls `interrupt` on its trained update before sending it. */
async function oneRound(name: string, interrupt: () => void) {
  const files = await writeMnistIdx(path.join(dir, name), { train: 160, test: 50 });
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
      epsilonBudget: 8,
      deltaBudget: 1e-5,
    },
    wallet,
  );
  const stateDir = path.join(dir, name, "state");
  const events: { type: string; [key: string]: unknown }[] = [];
  let interrupted = 0;
  const agent = new TrainerAgent({
    coordinatorUrl: origin,
    wallet,
    datasetId: dataset.id,
    train: train.dataset,
    evaluation: evaluation.dataset,
    commitment: train.commitment,
    manifest: train.manifest,
    enclave: new SimulatedEnclave({ warn: () => {} }),
    privacy: await DatasetPrivacyGuard.open(stateDir, dataset.id, { epsilon: 8, delta: 1e-5, microbatchSize: 8 }),
    disclosure: await EvaluationAllowance.open(stateDir, dataset.id, {}),
    onEvent: (event) => events.push(event),
    // Called with the trained update before it is signed and sent.
    updateTransform: (update) => {
      if (interrupted++ === 0) interrupt();
      return update;
    },
  });
  agents.push(agent);
  await agent.start();
  const sessionsBefore = new Set(relay.events.map((event) => event.session));

  const job = await post<{ id: JobId }>(
    "/jobs",
    {
      name: `${name} job`,
      model: {
        inputShape: [784],
        layers: [{ type: "dense", units: 10, activation: "softmax" }],
        loss: "sparseCategoricalCrossentropy",
      },
      datasetIds: [dataset.id],
      rounds: 1,
      clients: { min: 1, max: 1 },
      learningRate: 0.1,
      batchSize: 32,
      dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 4, delta: 1e-5 },
    },
    Wallet.createRandom() as unknown as Wallet,
  );
  let status = "";
  for (let waited = 0; waited < 120_000 && status !== "completed" && status !== "failed"; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await get<{ status: string }>(`/jobs/${job.id}`)).status;
  }
  const rounds = await get<{ round: number; assignments: { trainer: string; status: string }[] }[]>(
    `/jobs/${job.id}/rounds`,
  );
  return { agent, events, status, rounds, interrupted, sessionsBefore };
}

/** What the agent did after the interruption, and what the coordinator holds. */
function expectDeliveredOnceAfterLogin(run: Awaited<ReturnType<typeof oneRound>>): void {
  const { agent, events, status, rounds, interrupted, sessionsBefore } = run;
  expect(interrupted).toBe(1);
  expect(status).toBe("completed");
  const kinds = events.map((event) => event.type);
  // Connected, dropped while the update was held, connected again; then the update was acknowledged, once.
  const dropped = kinds.indexOf("disconnected");
  expect(dropped).toBeGreaterThan(kinds.indexOf("connected"));
  const relogged = kinds.indexOf("connected", dropped);
  expect(relogged).toBeGreaterThan(dropped);
  expect(kinds.filter((kind) => kind === "trained")).toHaveLength(1);
  expect(kinds.indexOf("trained")).toBeGreaterThan(relogged);
  expect(events.filter((event) => event.type === "rejected")).toEqual([]);
  // The only errors allowed: sign-in attempts that could not reach the coordinator while the network was down.
  const errors = events.filter((event) => event.type === "error").map((event) => event.message as string);
  expect(errors.filter((message) => !message.startsWith("sign-in: fetch failed"))).toEqual([]);
  // On the wire: one update in all, on a session opened after the interruption, after that session's manifest.
  const updates = relay.events.filter((event) => event.event === "update");
  expect(updates).toHaveLength(1);
  const session = (updates[0] as { session: string }).session;
  expect(sessionsBefore.has(session)).toBe(false);
  const onSession = relay.events.filter((event) => event.session === session).map((event) => event.event);
  expect(onSession.indexOf("manifest")).toBeGreaterThanOrEqual(0);
  expect(onSession.indexOf("manifest")).toBeLessThan(onSession.indexOf("update"));
  const round0 = rounds.find((round) => round.round === 0);
  expect(round0?.assignments).toEqual([expect.objectContaining({ trainer: agent.address, status: "submitted" })]);
}

describe("an agent whose connection is lost while an update waits to be sent", () => {
  it("network drop: logs in on the new connection first, then delivers the update once, never refused", async () => {
    relay.events.length = 0;
    const run = await oneRound("dropped", () => relay.cut(1_500));
    expect(relay.cuts).toBe(1);
    expectDeliveredOnceAfterLogin(run);
  });

  it("a training that outlasted the heartbeat: the update is not replayed before the next login", async () => {
    relay.events.length = 0;
    // The process's clock jumps past the heartbeat's ping interval + timeout (145 s), as when a training round
    // keeps the event loop busy that long: socket.io finds its heartbeat expired, buffers the update's emit and
    // closes the connection ("ping timeout"). Sign-ins and sessions read the same clock on both sides.
    const now = Date.now.bind(Date);
    const run = await oneRound("stalled", () => {
      vi.spyOn(Date, "now").mockImplementation(() => now() + 200_000);
    });
    expectDeliveredOnceAfterLogin(run);
  });
});
