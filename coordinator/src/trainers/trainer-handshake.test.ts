import { readdir } from "node:fs/promises";
import path from "node:path";
import { attestationUserData } from "@tributary/enclave-compute";
import {
  type Bytes32,
  type DatasetId,
  type JobId,
  OFF_CHAIN_CHAIN_ID,
  signInMessage,
  trainerHandshakeAuth,
} from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, request, signInAs } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { handshakeOutcome } from "../../test-support/trainer-socket.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

/** The owner's dataset: its manifest and the commitment it is enrolled with. */
const SHARD = testManifest(10, "shard");

/** An all-zero 65-byte signature: no signer can be recovered from it (r = 0 is outside secp256k1's 1 … n − 1). */
const ZERO_SIGNATURE = `0x${"00".repeat(65)}`;

describe.each(DATABASES)("the trainers' socket handshake on $name", (database) => {
  let db: TestDatabase;
  let other: TestDatabase;
  let a: Coordinator;
  let b: Coordinator;
  const owner = Wallet.createRandom();
  let datasetA: DatasetId;
  let jobId: JobId;

  const enrol = async (coordinator: Coordinator) =>
    (
      await ok<{ id: DatasetId }>(
        coordinator.url,
        "POST",
        "/datasets",
        {
          owner: owner.address,
          name: "shard",
          commitment: SHARD.commitment,
          recordCount: SHARD.manifest.recordCount,
          epsilonBudget: 8,
          deltaBudget: 1e-5,
        },
        await signInAs(coordinator.url, owner),
      )
    ).id;

  beforeAll(async () => {
    db = await database.setup();
    other = await database.setup();
    a = await createCoordinator(
      { port: 0, dataDir: db.dataDir, maxValidationSetBytes: 4096, ...db.config },
      { logger: false },
    );
    b = await createCoordinator({ port: 0, dataDir: other.dataDir, ...other.config }, { logger: false });
    datasetA = await enrol(a);
    await enrol(b);
    const researcher = Wallet.createRandom();
    jobId = (
      await ok<{ id: JobId }>(
        a.url,
        "POST",
        "/jobs",
        {
          name: "handshake",
          model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
          datasetIds: [datasetA],
          rounds: 1,
          learningRate: 0.1,
        },
        await signInAs(a.url, researcher),
      )
    ).id;
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.cleanup();
    await other?.cleanup();
  });

  it("refuses a login signed for coordinator A and relayed to coordinator B (item 12)", async () => {
    // A malicious coordinator A asks the owner to sign in, then replays the signed handshake at B, where the same
    // owner has a dataset too. B's own nonce is even used, so only the message's domain gives it away.
    const nonceAtB = (await ok<{ nonce: string }>(b.url, "GET", "/auth/nonce")).nonce;
    const message = signInMessage({
      origin: a.url,
      address: owner.address,
      chainId: OFF_CHAIN_CHAIN_ID,
      nonce: nonceAtB,
    });
    const relayed = { message, signature: await owner.signMessage(message), datasetId: "1" };
    expect(await handshakeOutcome(b.url, relayed)).toBe("SIGN_IN_REFUSED");
    // The same owner signing for B itself gets in.
    const own = await trainerHandshakeAuth({
      coordinatorUrl: b.url,
      signer: owner,
      chainId: OFF_CHAIN_CHAIN_ID,
      datasetId: "1",
    });
    expect(await handshakeOutcome(b.url, own)).toBe("connected");
  });

  it("refuses a replayed nonce and a message for another chain", async () => {
    const auth = await trainerHandshakeAuth({
      coordinatorUrl: a.url,
      signer: owner,
      chainId: OFF_CHAIN_CHAIN_ID,
      datasetId: datasetA,
    });
    expect(await handshakeOutcome(a.url, auth)).toBe("connected");
    expect(await handshakeOutcome(a.url, auth)).toBe("SIGN_IN_REFUSED");
    const otherChain = await trainerHandshakeAuth({
      coordinatorUrl: a.url,
      signer: owner,
      chainId: 1,
      datasetId: datasetA,
    });
    expect(await handshakeOutcome(a.url, otherChain)).toBe("SIGN_IN_REFUSED");
  });

  it("does not let a socket without a sign-in connect at all (item 18: no idle unauthenticated sockets)", async () => {
    expect(await handshakeOutcome(a.url, undefined)).toBe("INVALID_INPUT");
  });

  it("turns an unrecoverable signature into a refused handshake and a 400, not an internal error (item 14)", async () => {
    const nonce = (await ok<{ nonce: string }>(a.url, "GET", "/auth/nonce")).nonce;
    const message = signInMessage({ origin: a.url, address: owner.address, chainId: OFF_CHAIN_CHAIN_ID, nonce });
    expect(await handshakeOutcome(a.url, { message, signature: ZERO_SIGNATURE, datasetId: datasetA })).toBe(
      "INVALID_INPUT",
    );
    const rest = await request<{ error: { code: string; message: string } }>(a.url, "POST", "/auth/siwe", {
      message,
      signature: ZERO_SIGNATURE,
    });
    expect(rest.status).toBe(400);
    expect(rest.body.error.message).toMatch(/invalid signature: r must be in 1 … n − 1/);
  });

  it("answers an unknown event, and the superseded login event, with an error acknowledgement (item 18)", async () => {
    const trainer = await ScriptedTrainer.connect(a.url, owner as unknown as Wallet, datasetA);
    try {
      expect(await trainer.socket.timeout(5_000).emitWithAck("no-such-event", {})).toEqual({
        ok: false,
        code: "UNKNOWN_EVENT",
        message: 'unknown event "no-such-event"',
      });
      expect(await trainer.socket.timeout(5_000).emitWithAck("login", {})).toMatchObject({
        ok: false,
        code: "LOGIN_IN_HANDSHAKE",
      });
    } finally {
      trainer.close();
    }
  });

  it("keeps the join challenge through a malformed attestation, so the next valid one is admitted (item 18)", async () => {
    const trainer = await ScriptedTrainer.connect(a.url, owner as unknown as Wallet, datasetA, {
      manifest: SHARD.manifest,
    });
    try {
      const challenge = await trainer.socket.emitWithAck("join", { jobId });
      expect(challenge.ok).toBe(true);
      const nonce = challenge.nonce as string;
      const garbage = await trainer.socket.emitWithAck("attest", {
        jobId,
        kind: "simulated",
        document: Buffer.from([1, 2, 3]),
      });
      expect(garbage.ok).toBe(false);
      // The same challenge, now with a valid attestation: no second `join`.
      const userData = attestationUserData({ signer: trainer.address, jobId, coordinatorNonce: nonce as Bytes32 });
      const document = await trainer.enclave.attest(userData, Buffer.from(nonce.slice(2), "hex"));
      const valid = await trainer.socket.emitWithAck("attest", {
        jobId,
        kind: document.kind,
        document: document.bytes,
      });
      expect(valid).toMatchObject({ ok: true, simulated: true });
    } finally {
      trainer.close();
    }
  });

  it("refuses a validation set over the configured maximum with 413 and leaves no file behind (item 9)", async () => {
    const token = await signInAs(a.url, Wallet.createRandom());
    const before = await blobFiles(db.dataDir);
    const response = await fetch(`${a.url}/validation-sets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${token}` },
      body: new Uint8Array(4097),
    });
    expect(response.status).toBe(413);
    expect(await blobFiles(db.dataDir)).toEqual(before);
    const anonymous = await fetch(`${a.url}/validation-sets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array(16),
    });
    expect(anonymous.status).toBe(401);
  });
});

/** Every file under the blob store (temp files included). */
async function blobFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "blobs");
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}
