import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { type DatasetId, type JobId, SIGN_IN_HEADER, type TrainInstruction } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, signInAs } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

// Issue 12: an unauthenticated peer must not make the coordinator read a large message. The sign-in is verified from
// the head of the request that opens the socket, before a WebSocket is opened, and the head itself is capped.

const MIB = 1024 * 1024;
/** What a refused attacker may make the server read: the head's cap plus a read buffer or two, far below 2 MiB. */
const READ_CEILING = 256 * 1024;
/** A dense layer 1024 → 512: 524,800 parameters, an update of 2,099,200 bytes. */
const BIG_MODEL = { inputShape: [1024], layers: [{ type: "dense", units: 512 }], loss: "meanSquaredError" };

/**
 * A WebSocket text frame as a client sends it (RFC 6455 §5.2: FIN, opcode 1, masked, 64-bit length), built here
 * and not by a WebSocket library, so nothing checks its size before it reaches the server.
 */
function maskedTextFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(14);
  head[0] = 0x81;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(payload.length), 2);
  const mask = randomBytes(4);
  mask.copy(head, 10);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, body]);
}

/** Writes `bytes` to the coordinator over raw TCP; resolves with everything it answered once it closed. */
function rawExchange(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket: Socket = connect(Number(port), hostname, () => socket.end(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server closes mid-write: EPIPE / ECONNRESET are the expected end, not a failure.
    socket.on("error", () => {});
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

/**
 * Runs `exchange` and returns how many bytes the coordinator's HTTP server read from the connections opened
 * meanwhile (Node's `socket.bytesRead` on the server side): an upper bound on what it could hold in memory.
 */
async function bytesReadDuring<T>(coordinator: Coordinator, exchange: () => Promise<T>): Promise<[T, number]> {
  const server = coordinator.app.getHttpServer() as Server;
  const opened: Socket[] = [];
  const track = (socket: Socket) => opened.push(socket);
  server.on("connection", track);
  try {
    const result = await exchange();
    return [result, opened.reduce((sum, socket) => sum + socket.bytesRead, 0)];
  } finally {
    server.off("connection", track);
  }
}

function upgradeRequest(url: string, headers: Record<string, string> = {}): string {
  const lines = [
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
    `Host: ${new URL(url).host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

describe("what an unauthenticated peer can make the coordinator read (issue 12)", () => {
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, maxHandshakeBytes: 8 * 1024, ...db.config },
      { logger: false },
    );
  }, 60_000);

  afterAll(async () => {
    await coordinator?.close();
    await db?.cleanup();
  });

  it("refuses a WebSocket upgrade without a sign-in and never reads the 2 MiB message sent right behind it", async () => {
    // What the old handshake read in full: a socket.io CONNECT packet ("40" + auth) of 2 MiB.
    const connectPacket = Buffer.from(`40${JSON.stringify({ padding: "x".repeat(2 * MIB) })}`);
    const attack = Buffer.concat([Buffer.from(upgradeRequest(coordinator.url)), maskedTextFrame(connectPacket)]);
    const [answer, read] = await bytesReadDuring(coordinator, () => rawExchange(coordinator.url, attack));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"INVALID_INPUT"');
    expect(answer).toContain(`handshake.headers.${SIGN_IN_HEADER}: missing`);
    expect(attack.length).toBeGreaterThan(2 * MIB);
    expect(read).toBeLessThan(READ_CEILING);
  });

  it("refuses a WebSocket upgrade with a forged sign-in the same way", async () => {
    const forged = Buffer.from(JSON.stringify({ message: "hello", signature: "0x00", datasetId: "1" })).toString(
      "base64",
    );
    const attack = Buffer.concat([
      Buffer.from(upgradeRequest(coordinator.url, { [SIGN_IN_HEADER]: forged })),
      maskedTextFrame(Buffer.alloc(2 * MIB, 0x61)),
    ]);
    const [answer, read] = await bytesReadDuring(coordinator, () => rawExchange(coordinator.url, attack));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"INVALID_INPUT"');
    expect(answer).toContain("is not an EIP-4361 message");
    expect(read).toBeLessThan(READ_CEILING);
  });

  it("answers a request head over maxHandshakeBytes with 431 and closes, having read little of a 2 MiB one", async () => {
    const head = upgradeRequest(coordinator.url, { [SIGN_IN_HEADER]: "A".repeat(2 * MIB) });
    const [answer, read] = await bytesReadDuring(coordinator, () => rawExchange(coordinator.url, Buffer.from(head)));
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(read).toBeLessThan(READ_CEILING);
    // 12 KiB is under Node's default cap (16 KiB) but over this coordinator's 8 KiB: the configured cap applies.
    const over = upgradeRequest(coordinator.url, { [SIGN_IN_HEADER]: "A".repeat(12 * 1024) });
    expect(await rawExchange(coordinator.url, Buffer.from(over))).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("still reads a signed-in trainer's 2 MiB update after its handshake, and accepts it", async () => {
    const owner = Wallet.createRandom();
    const shard = testManifest(50, "big update");
    const token = await signInAs(coordinator.url, owner);
    const dataset = await ok<{ id: DatasetId }>(
      coordinator.url,
      "POST",
      "/datasets",
      {
        owner: owner.address,
        name: "big",
        commitment: shard.commitment,
        recordCount: 50,
        epsilonBudget: 8,
        deltaBudget: 1e-5,
      },
      token,
    );
    const job = await ok<{ id: JobId }>(
      coordinator.url,
      "POST",
      "/jobs",
      { name: "big update", model: BIG_MODEL, datasetIds: [dataset.id], rounds: 1, learningRate: 0.1 },
      await signInAs(coordinator.url, Wallet.createRandom()),
    );
    const delta = new Float32Array(1024 * 512 + 512).fill(0.001);
    const [ack, read] = await bytesReadDuring(coordinator, async () => {
      const trainer = await ScriptedTrainer.connect(coordinator.url, owner as unknown as Wallet, dataset.id, {
        manifest: shard.manifest,
      });
      try {
        expect((await trainer.join(job.id)).ok).toBe(true);
        const next = await trainer.next();
        expect(next.kind).toBe("train");
        return await trainer.submit(next.instruction as TrainInstruction, delta, 50);
      } finally {
        trainer.close();
      }
    });
    expect(ack).toEqual({ ok: true, accepted: true });
    // The same measure that saw the attackers' bytes left unread sees the whole update read here.
    expect(delta.byteLength).toBe(2_099_200);
    expect(read).toBeGreaterThan(delta.byteLength);
  });
});
