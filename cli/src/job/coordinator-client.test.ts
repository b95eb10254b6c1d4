import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DATABASES, type TestDatabase } from "../../../coordinator/test-support/databases.js";
import { CoordinatorClient } from "./coordinator-client.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server that resets (TCP RST) the first `resets` requests' connections, then answers `{"ok":true}`; counts requests. */
async function resettingServer(resets: number): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((request, response) => {
    requests++;
    if (requests <= resets) {
      request.socket.resetAndDestroy();
      return;
    }
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

const Ok = z.object({ ok: z.literal(true) });

describe("CoordinatorClient on a reset connection", () => {
  it("sends a GET again after its connection is reset (twice at most)", async () => {
    const coordinator = await resettingServer(2);
    const client = new CoordinatorClient(coordinator.url);
    expect(await client.get("/jobs/1", Ok, "job 1")).toEqual({ ok: true });
    expect(coordinator.requests()).toBe(3);
  });

  it("gives up after the third reset, and never sends a POST twice", async () => {
    const gets = await resettingServer(3);
    await expect(new CoordinatorClient(gets.url).get("/jobs/1", Ok, "job 1")).rejects.toMatchObject({
      code: "COORDINATOR_UNREACHABLE",
    });
    expect(gets.requests()).toBe(3);
    await new Promise((resolve) => server?.close(resolve));
    const posts = await resettingServer(1);
    await expect(new CoordinatorClient(posts.url).postJson("/jobs", {}, Ok, "job")).rejects.toMatchObject({
      code: "COORDINATOR_UNREACHABLE",
    });
    expect(posts.requests()).toBe(1);
  });
});

describe("CoordinatorClient whose session expires", () => {
  let coordinator: Coordinator | undefined;
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await coordinator?.close();
    await db?.cleanup();
    coordinator = undefined;
    db = undefined;
  });

  it("signs in again when the coordinator refuses its expired token, and sends the request once more", async () => {
    db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    // Sessions of one second: a job followed for longer (bench:federated's CNN took over an hour) outlives its own.
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, sessionTtlS: 1, ...db.config },
      { logger: false },
    );
    const signer = Wallet.createRandom();
    const client = await CoordinatorClient.signIn(coordinator.url, signer, 31_337);
    const first = client.token;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // The same token, sent as it was, is refused now: the session really expired.
    const stale = new CoordinatorClient(coordinator.url, first);
    await expect(stale.get("/jobs", z.unknown(), "jobs")).rejects.toMatchObject({ status: 401 });
    // The signed-in client gets its answer: a GET, and a POST only a signed-in caller may send (400 for the spec).
    expect(Array.isArray(await client.get("/jobs", z.unknown(), "jobs"))).toBe(true);
    expect(client.token).not.toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await expect(client.postJson("/jobs", { rounds: 0 }, z.unknown(), "job")).rejects.toMatchObject({
      status: 400,
    });
  });
});
