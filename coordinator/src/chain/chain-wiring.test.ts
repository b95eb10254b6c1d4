import { createHash } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { ok, request, signInAs, until } from "../../test-support/rest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { ChainIndexer } from "./chain-indexer.js";
import { ChainIntentEntity } from "./chain-intent.entity.js";
import { ChainIntentRepository } from "./chain-intent.repository.js";
import { ChainJobEntity } from "./chain-job.entity.js";
import { ChainRoundAnchorEntity } from "./chain-round-anchor.entity.js";
import { ChainSender } from "./chain-sender.js";
import { jobSpecCid } from "./job-spec-blob.js";

const hash = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function start(db: TestDatabase, wallet: Wallet | undefined): Promise<Coordinator> {
  const coordinator = await createCoordinator(
    {
      port: 0,
      dataDir: db.dataDir,
      ...db.config,
      ...(wallet === undefined
        ? {}
        : {
            mode: "development" as const,
            verifyingContract: chain.system.deployment.contracts.TrainingJobs,
            chain: {
              rpcUrl: chain.url,
              trainingJobs: chain.system.deployment.contracts.TrainingJobs,
              datasetRegistry: chain.system.deployment.contracts.DatasetRegistry,
              startBlock: chain.system.deployment.startBlock,
              confirmations: 0,
              senderPrivateKey: wallet.privateKey,
              pollIntervalMs: 50,
              maxBackoffMs: 200,
            },
          }),
    },
    process.env.TEST_LOGS ? {} : { logger: false },
  );
  cleanup.push(() => coordinator.close());
  return coordinator;
}

describe("POST /chain/job-specs", () => {
  it("refuses, before any escrow is locked, a spec its adoption would refuse, naming the spec's path", async () => {
    const db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
    cleanup.push(() => db.cleanup());
    const wallet = await chain.fundedWallet();
    const coordinator = await start(db, wallet);
    const token = await signInAs(coordinator.url, wallet, coordinator.config.chainId);
    const spec = {
      name: "refused",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      datasetIds: ["1"],
      rounds: 2,
      learningRate: 0.1,
    };
    const refusal = async (extra: Record<string, unknown>) => {
      const answer = await request<{ error: { code: string; message: string } }>(
        coordinator.url,
        "POST",
        "/chain/job-specs",
        { ...spec, ...extra },
        token,
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("INVALID_INPUT");
      return answer.body.error.message;
    };
    const neverUploaded = jobSpecCid(hash("no such validation set"));
    expect(await refusal({ scoring: { method: "leave-one-out", validationSetCid: neverUploaded } })).toMatch(
      /JobSpec\.scoring\.validationSetCid: no validation set was uploaded with this CID/,
    );
    // Krum with f = 1 needs 2f + 3 = 5 updates a round.
    expect(await refusal({ strategy: { name: "krum", f: 1 }, clients: { min: 3, max: 10 } })).toMatch(
      /JobSpec\.clients\.min: krum needs at least 5 updates per round/,
    );
    // This coordinator has no AttestationRegistry configured.
    expect(await refusal({ attestation: { required: true } })).toMatch(
      /JobSpec\.attestation\.required: this coordinator cannot run/,
    );
    // The same spec without those options is accepted.
    const stored = await request<{ modelSpecHash: string }>(coordinator.url, "POST", "/chain/job-specs", spec, token);
    expect(stored.status).toBe(201);
  });
});

describe.each(DATABASES)("a coordinator configured with a chain on $name", (database) => {
  it("indexes an on-chain job created during an RPC outage, anchors through its outbox, and without a chain has none of it", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const wallet = await chain.fundedWallet();
    const coordinator = await start(db, wallet);
    const dataSource = coordinator.app.get(DataSource);

    const datasetId = await chain.registerDataset();
    const uploaded = await ok<{ modelSpecHash: string; cid: string }>(
      coordinator.url,
      "POST",
      "/chain/job-specs",
      {
        name: "wired",
        model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
        datasetIds: [datasetId.toString()],
        rounds: 2,
        learningRate: 0.1,
      },
      await signInAs(coordinator.url, wallet, coordinator.config.chainId),
    );

    await chain.stopRpc();
    const jobId = await chain.createJob({
      coordinator: wallet.address,
      rounds: 2,
      modelSpecHash: uploaded.modelSpecHash,
      datasetIds: [datasetId],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await dataSource.getRepository(ChainJobEntity).countBy({ jobId: jobId.toString() })).toBe(0);
    await chain.startRpc();
    const job = await until("the on-chain job to be indexed", () =>
      dataSource
        .getRepository(ChainJobEntity)
        .findOneBy({ jobId: jobId.toString() })
        .then((row) => row ?? undefined),
    );
    expect(job.modelSpecHash).toBe(uploaded.modelSpecHash);
    expect(job.coordinator).toBe(wallet.address.toLowerCase());
    expect(job.datasetIds).toEqual([datasetId.toString()]);

    const outbox = coordinator.app.get(ChainIntentRepository);
    const { id } = await coordinator.app.get(TransactionRunner).run((tx) =>
      outbox.enqueue(tx, {
        kind: "anchorRound",
        args: {
          jobId: jobId.toString() as never,
          round: 1,
          updatesRoot: hash("u") as never,
          modelHash: hash("m") as never,
        },
      }),
    );
    coordinator.app.get(ChainSender).poke();
    const intent = await until("the anchor to be confirmed", () =>
      dataSource
        .getRepository(ChainIntentEntity)
        .findOneBy({ id, status: "confirmed" })
        .then((row) => row ?? undefined),
    );
    const anchor = await until("the anchor to be indexed", () =>
      dataSource
        .getRepository(ChainRoundAnchorEntity)
        .findOneBy({ jobId: jobId.toString(), round: 1 })
        .then((row) => row ?? undefined),
    );
    expect(anchor.txHash).toBe(intent.minedTxHash);
    expect((await chain.system.contracts.jobs.getRound(jobId, 1n)).updatesRoot).toBe(hash("u"));

    // The same database without a chain configured: no chain routes, no chain providers.
    await (cleanup.pop() as () => Promise<void>)();
    const offChain = await start(db, undefined);
    expect((await request(offChain.url, "POST", "/chain/job-specs", {})).status).toBe(404);
    expect(() => offChain.app.get(ChainIndexer)).toThrow();
  });
});
