import type { DatasetId } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, request, signInAs } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { handshakeOutcome } from "../../test-support/trainer-socket.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

describe("request and connection limits (item 9)", () => {
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, requestsPerMinute: 5, maxSocketsPerIp: 1, ...db.config },
      { logger: false },
    );
  });

  afterAll(async () => {
    await coordinator.close();
    await db.cleanup();
  });

  it("answers the request over the per-IP limit with 429, and counts a signed-in address on its own", async () => {
    // The limit is per route and per caller (`@nestjs/throttler` keys by handler): the sixth /health is refused.
    const token = await signInAs(coordinator.url, Wallet.createRandom());
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(coordinator.url, "GET", "/health")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // The signed-in address has its own allowance.
    expect((await request(coordinator.url, "GET", "/health", undefined, token)).status).toBe(200);
  });

  it("refuses a socket over the per-IP connection limit before its sign-in is even read", async () => {
    const other = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    const limited = await createCoordinator(
      { port: 0, dataDir: other.dataDir, maxSocketsPerIp: 1, ...other.config },
      { logger: false },
    );
    try {
      const owner = Wallet.createRandom();
      const dataset = await ok<{ id: DatasetId }>(
        limited.url,
        "POST",
        "/datasets",
        {
          owner: owner.address,
          name: "one",
          commitment: `0x${"ab".repeat(32)}`,
          recordCount: 1,
          epsilonBudget: 1,
          deltaBudget: 1e-5,
        },
        await signInAs(limited.url, owner),
      );
      // An empty sign-in alone is refused by the handshake's check (INVALID_INPUT)…
      expect(await handshakeOutcome(limited.url, undefined)).toBe("INVALID_INPUT");
      const held = await ScriptedTrainer.connect(limited.url, owner as unknown as Wallet, dataset.id);
      try {
        // …but with the IP's one connection taken, the next is turned away before its handshake is looked at.
        expect(await handshakeOutcome(limited.url, undefined)).toBe("TOO_MANY_CONNECTIONS");
      } finally {
        held.close();
      }
    } finally {
      await limited.close();
      await other.cleanup();
    }
  });
});
