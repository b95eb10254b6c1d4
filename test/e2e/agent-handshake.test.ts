import type { Server } from "node:http";
import type { Socket } from "node:net";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { initTrainingBackend } from "@tributary/model-runtime";
import type { Bytes32, DatasetId } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { ok, signInAs, until } from "../../coordinator/test-support/rest.js";
import { testManifest } from "../../coordinator/test-support/test-manifest.js";
import { type OwnerAgent, ownerAgent } from "../../trainer-agent/test-support/owner-fixture.js";

// Issue 12: the trainer agent signs in in the header of the request that opens its socket. A refusal reaches it with
// the coordinator's code and reason, and each reconnection signs in afresh (a sign-in's nonce is single use).

const RECORDS = 64;
let db: TestDatabase;
let coordinator: Coordinator;
const agents: OwnerAgent[] = [];

beforeAll(async () => {
  await initTrainingBackend({ log: () => {} });
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  coordinator = await createCoordinator({ port: 0, dataDir: db.dataDir, ...db.config }, { logger: false });
}, 120_000);

afterAll(async () => {
  for (const { agent } of agents) agent.stop();
  await coordinator?.close();
  await db?.cleanup();
});

/** A dataset enrolled by `owner`; its manifest and commitment. */
async function enrolled(owner: Wallet, tag: string) {
  const shard = testManifest(RECORDS, tag);
  const { id } = await ok<{ id: DatasetId }>(
    coordinator.url,
    "POST",
    "/datasets",
    {
      owner: owner.address,
      name: tag,
      commitment: shard.commitment,
      recordCount: RECORDS,
      epsilonBudget: 8,
      deltaBudget: 1e-5,
    },
    await signInAs(coordinator.url, owner),
  );
  return { id, shard };
}

async function agentFor(wallet: Wallet, dataset: Awaited<ReturnType<typeof enrolled>>): Promise<OwnerAgent> {
  const owner = await ownerAgent({
    coordinatorUrl: coordinator.url,
    wallet,
    datasetId: dataset.id,
    commitment: dataset.shard.commitment as Bytes32,
    manifest: dataset.shard.manifest,
    records: RECORDS,
  });
  agents.push(owner);
  return owner;
}

/** Whether the coordinator lists `owner`'s agent as online (`GET /trainers`). */
async function online(owner: OwnerAgent): Promise<boolean> {
  const trainers = await ok<{ address: string; online: boolean }[]>(coordinator.url, "GET", "/trainers");
  return trainers.some((trainer) => trainer.address === owner.agent.address && trainer.online);
}

describe("the trainer agent's handshake with a real coordinator", () => {
  it("reports why the coordinator refused its sign-in, and does not retry", async () => {
    const owner = Wallet.createRandom() as unknown as Wallet;
    const dataset = await enrolled(owner, "someone else's");
    const stranger = await agentFor(Wallet.createRandom() as unknown as Wallet, dataset);
    const refusal = await stranger.agent.start().then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refusal?.code).toBe("NOT_DATASET_OWNER");
    expect(refusal?.message).toBe(
      `login refused: NOT_DATASET_OWNER: dataset ${dataset.id} is owned by ${owner.address.toLowerCase()}, not ${stranger.agent.address}: only its owner's key may train on it`,
    );
    expect(stranger.events).toContainEqual({ type: "error", message: refusal?.message });
  });

  it("signs in afresh after its connection is cut, and is online again", async () => {
    const wallet = Wallet.createRandom() as unknown as Wallet;
    const owner = await agentFor(wallet, await enrolled(wallet, "reconnecting"));
    const server = coordinator.app.getHttpServer() as Server;
    const opened: Socket[] = [];
    const track = (socket: Socket) => opened.push(socket);
    server.on("connection", track);
    try {
      await owner.agent.start();
      expect(await online(owner)).toBe(true);
      // The network drops every connection the agent had opened (the coordinator side of each TCP socket).
      for (const socket of opened) socket.destroy();
    } finally {
      server.off("connection", track);
    }
    await until("the agent to log in again", async () =>
      owner.events.filter((event) => event.type === "connected").length === 2 ? true : undefined,
    );
    expect(owner.events.some((event) => event.type === "disconnected")).toBe(true);
    expect(await online(owner)).toBe(true);
    // Its first sign-in's nonce was spent: a replay of it would have been refused (SIGN_IN_REFUSED) for good.
    expect(owner.events.filter((event) => event.type === "error")).toEqual([]);
  });
});
