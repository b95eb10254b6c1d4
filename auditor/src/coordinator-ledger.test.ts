import { createHash, randomBytes } from "node:crypto";
import { InvalidInputError } from "@tributary/protocol";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidOf, type LedgerServer, sha256Hex, startLedgerServer } from "../test-support/ledger-job.js";
import { sha256OfCid } from "./cid-digest.js";
import { fetchLedger, fetchLedgerBlob, fetchPayoutProof } from "./coordinator-ledger.js";
import { CoordinatorHttpError } from "./ledger-errors.js";

let server: LedgerServer;

beforeAll(async () => {
  server = await startLedgerServer();
});

afterAll(async () => {
  await server?.close();
});

const HASH = `0x${"ab".repeat(32)}`;
const TRAINER = "0x00000000000000000000000000000000000000b0";

/** A small valid ledger (schema-valid; not anchored anywhere: these tests are about parsing). */
function ledgerJson(jobId: string) {
  const leaf = {
    trainer: TRAINER,
    updateHash: HASH,
    numExamples: "10",
    score: "1000000000000000000",
    datasetId: "1",
    epsilonSpent: null,
    updateCid: cidOf(randomBytes(8)),
    rejected: false,
  };
  return {
    jobId,
    chainId: 31337,
    trainingJobs: "0x00000000000000000000000000000000000000a0",
    status: "running",
    escrow: "1000",
    feeBps: 250,
    scoring: { method: "examples" },
    rounds: [
      {
        round: 1,
        updatesRoot: HASH,
        modelHash: HASH,
        modelCid: cidOf(randomBytes(8)),
        scoring: { method: "examples", evaluations: 0, elapsedMs: 1 },
        anchor: { status: "pending", txHash: null },
        leaves: [leaf, { ...leaf }],
      },
    ],
    epsilonByDataset: { "1": null },
    payout: null,
  };
}

describe("fetchLedger", () => {
  it("parses the coordinator's ledger", async () => {
    server.state.ledgers.set("5", ledgerJson("5"));
    const ledger = await fetchLedger(`${server.url}/`, 5n);
    expect(ledger.rounds[0]?.leaves[1]?.trainer).toBe(TRAINER);
  });

  it("names the path of every invalid field", async () => {
    const json = ledgerJson("6");
    const round = json.rounds[0] as { leaves: { score: string }[]; updatesRoot: string };
    (round.leaves[1] as { score: string }).score = "-1";
    round.updatesRoot = "0x12";
    server.state.ledgers.set("6", json);
    const error = await fetchLedger(server.url, "6").catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path).sort()).toEqual([
      "ledger.rounds[0].leaves[1].score",
      "ledger.rounds[0].updatesRoot",
    ]);
  });

  it("refuses a ledger of another job and reports HTTP errors with status and the coordinator's message", async () => {
    server.state.ledgers.set("7", ledgerJson("8"));
    await expect(fetchLedger(server.url, 7n)).rejects.toThrow(/ledger\.jobId is 8, asked for job 7/);
    const error = await fetchLedger(server.url, 404404n).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CoordinatorHttpError);
    expect((error as CoordinatorHttpError).status).toBe(404);
    expect((error as Error).message).toBe(
      `GET ${server.url}/ledger/jobs/404404 answered 404: job 404404 has no ledger`,
    );
  });
});

describe("fetchPayoutProof", () => {
  it("parses a proof and refuses one for another trainer", async () => {
    const proof = { jobId: "9", trainer: TRAINER, amount: "5", payoutRoot: HASH, proof: [HASH] };
    server.state.proofs.set("9", new Map([[TRAINER, proof]]));
    expect(await fetchPayoutProof(server.url, 9n, TRAINER.toUpperCase().replace("0X", "0x"))).toEqual(proof);
    const other = "0x00000000000000000000000000000000000000c0";
    server.state.proofs.get("9")?.set(other, proof);
    await expect(fetchPayoutProof(server.url, 9n, other)).rejects.toThrow(/it is for job 9 and trainer 0x0+b0/);
    await expect(fetchPayoutProof(server.url, 9n, "0x1234")).rejects.toThrow(/trainer address/);
  });
});

describe("fetchLedgerBlob", () => {
  it("returns the bytes, or undefined for a blob the coordinator does not have or a coordinator that is down", async () => {
    const bytes = randomBytes(300);
    server.state.blobs.set("10", new Map([[cidOf(bytes), bytes]]));
    expect(Buffer.from((await fetchLedgerBlob(server.url, "10", cidOf(bytes))) as Uint8Array)).toEqual(bytes);
    expect(await fetchLedgerBlob(server.url, "10", cidOf(randomBytes(3)))).toBeUndefined();
    expect(await fetchLedgerBlob("http://127.0.0.1:1", "10", cidOf(bytes))).toBeUndefined();
  });
});

describe("sha256OfCid", () => {
  it("reads the SHA-256 digest of CIDv1 sha2-256 CIDs made by multiformats, of any codec", () => {
    const bytes = randomBytes(1000);
    const digest = createHash("sha256").update(bytes).digest();
    expect(sha256OfCid(cidOf(bytes))).toBe(sha256Hex(bytes));
    const dagPb = CID.create(1, 0x70, Digest.create(0x12, digest)).toString();
    expect(dagPb.startsWith("bafy")).toBe(true);
    expect(sha256OfCid(dagPb)).toBe(sha256Hex(bytes));
  });

  it("returns undefined for what is not a base32 CIDv1 with a 32-byte sha2-256 digest", () => {
    const digest = createHash("sha256").update("x").digest();
    const sha512 = CID.create(1, 0x55, Digest.create(0x13, Buffer.concat([digest, digest]))).toString();
    expect(sha256OfCid(sha512)).toBeUndefined();
    expect(sha256OfCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")).toBeUndefined();
    expect(sha256OfCid("bafk!")).toBeUndefined();
    expect(sha256OfCid(cidOf(randomBytes(4)).slice(0, -4))).toBeUndefined();
  });
});
