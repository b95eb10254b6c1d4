import { createHash } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { JobSpecInput } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { type OpenDatabase, openDatabase } from "../../test-support/open-database.js";
import { BlobStore } from "../blobs/blob-store.js";
import type { ChainConfig } from "../config/coordinator-config.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { ChainClient } from "./chain-client.js";
import { ChainDatasetEntity } from "./chain-dataset.entity.js";
import { JobSpecMismatchError, JobSpecNotFoundError } from "./chain-errors.js";
import { ChainIndexRepository } from "./chain-index.repository.js";
import { ChainIndexer } from "./chain-indexer.js";
import { ChainJobEntity } from "./chain-job.entity.js";
import { ChainJobRepository } from "./chain-job.repository.js";
import { ChainRoundAnchorEntity } from "./chain-round-anchor.entity.js";
import { resolveJobSpec, storeJobSpec } from "./job-spec-blob.js";

const hash = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;
const CONFIRMATIONS = 2;

let chain: LocalChain;
beforeAll(async () => {
  chain = await LocalChain.start();
});
afterAll(async () => {
  await chain?.stop();
});

/** Every dataset and job as the contracts' view functions return them: the reference the tables must match. */
async function chainState() {
  const { datasets, jobs } = chain.system.contracts;
  const datasetRows = [];
  for (let id = 1n; id <= (await datasets.datasetCount()); id++) {
    const d = await datasets.getDataset(id);
    datasetRows.push({
      datasetId: id.toString(),
      owner: d.owner.toLowerCase(),
      active: d.active,
      epsilon: d.epsilon.toString(),
      delta: d.delta.toString(),
      commitment: d.commitment,
      pricePerRound: d.pricePerRound.toString(),
      metadataUri: d.metadataURI,
    });
  }
  const statuses = ["none", "open", "running", "finalized", "cancelled"];
  const jobRows = [];
  for (let id = 1n; id <= (await jobs.jobCount()); id++) {
    const j = await jobs.getJob(id);
    jobRows.push({
      jobId: id.toString(),
      researcher: j.researcher.toLowerCase(),
      coordinator: j.coordinator.toLowerCase(),
      paymentToken: j.paymentToken.toLowerCase(),
      modelSpecHash: j.modelSpecHash,
      datasetIds: (await jobs.getJobDatasets(id)).map(String),
      rounds: Number(j.rounds),
      reward: j.escrow.toString(),
      feeBps: Number(j.feeBps),
      status: statuses[Number(j.status)],
      roundsAnchored: Number(j.roundsAnchored),
    });
  }
  return { datasets: datasetRows, jobs: jobRows };
}

async function tableState(open: OpenDatabase) {
  const datasets = await open.dataSource.getRepository(ChainDatasetEntity).find({ order: { datasetId: "ASC" } });
  const jobs = await open.dataSource.getRepository(ChainJobEntity).find({ order: { jobId: "ASC" } });
  return {
    datasets: datasets.map(({ datasetId, owner, active, epsilon, delta, commitment, pricePerRound, metadataUri }) => ({
      datasetId,
      owner,
      active,
      epsilon,
      delta,
      commitment,
      pricePerRound,
      metadataUri,
    })),
    jobs: jobs.map((j) => ({
      jobId: j.jobId,
      researcher: j.researcher,
      coordinator: j.coordinator,
      paymentToken: j.paymentToken,
      modelSpecHash: j.modelSpecHash,
      datasetIds: j.datasetIds,
      rounds: j.rounds,
      reward: j.reward,
      feeBps: j.feeBps,
      status: j.status,
      roundsAnchored: j.roundsAnchored,
    })),
  };
}

const spec: JobSpecInput = {
  name: "on-chain job",
  model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
  datasetIds: ["1"],
  rounds: 2,
  learningRate: 0.1,
};

describe.each(DATABASES)("chain indexer on $name", (database) => {
  let db: TestDatabase;
  let open: OpenDatabase;
  let coordinator: Wallet;
  beforeAll(async () => {
    db = await database.setup();
    open = await openDatabase(db);
    coordinator = Wallet.createRandom() as unknown as Wallet;
  });
  afterAll(async () => {
    await open?.close();
    await db?.cleanup();
  });

  function stores() {
    return {
      transactions: new TransactionRunner(open.dataSource),
      index: new ChainIndexRepository(open.dataSource),
      chainJobs: new ChainJobRepository(open.dataSource),
    };
  }

  function indexer(maxBlockRange: number) {
    const config: ChainConfig = {
      rpcUrl: chain.url,
      trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      datasetRegistry: chain.system.deployment.contracts.DatasetRegistry,
      startBlock: chain.system.deployment.startBlock,
      confirmations: CONFIRMATIONS,
      pollIntervalMs: 50,
      maxBlockRange,
      bumpAfterMs: 60_000,
      feeBumpPercent: 25,
      maxBackoffMs: 500,
    };
    const client = new ChainClient(config, 31_337);
    return {
      client,
      indexer: new ChainIndexer(stores(), client, { ...config, coordinator: coordinator.address }),
    };
  }

  it("learns every dataset and job from confirmed events, resumes from its cursor after a restart, and never doubles", async () => {
    const { datasets, jobs } = chain.system.contracts;
    const owner = chain.accounts[1];
    const datasetId = await chain.registerDataset(owner);
    await (
      await datasets.connect(owner).updateDataset(datasetId, hash("v2"), "ipfs://v2", 7n, 2n * 10n ** 18n, 10n ** 12n)
    ).wait();
    const other = await chain.registerDataset();
    await (await datasets.connect(chain.deployer).deactivateDataset(other)).wait();
    const jobId = await chain.createJob({ coordinator: chain.deployer.address, rounds: 3, datasetIds: [datasetId] });
    await (await jobs.connect(chain.deployer).anchorRound(jobId, 1n, hash("u1"), hash("m1"))).wait();

    // A first indexer processes a few small ranges, then "dies" with the database closed under it.
    const first = indexer(3);
    await first.indexer.pollOnce();
    await first.indexer.pollOnce();
    const stoppedAt = await first.indexer.nextBlock();
    first.client.destroy();
    await open.close();
    open = await openDatabase(db);

    const second = indexer(5);
    const ranges = await second.indexer.catchUp();
    expect(ranges[0]?.from).toBe(stoppedAt);
    for (const [i, range] of ranges.entries()) {
      if (i > 0) expect(range.from).toBe((ranges[i - 1]?.to ?? 0) + 1);
    }
    const head = await chain.ethers.provider.getBlockNumber();
    expect(await second.indexer.nextBlock()).toBe(head - CONFIRMATIONS + 1);

    // The job's anchor is in the last CONFIRMATIONS blocks? Then it is not applied yet; mine until confirmed.
    await chain.rpc("hardhat_mine", [`0x${CONFIRMATIONS.toString(16)}`]);
    await second.indexer.catchUp();
    expect(await tableState(open)).toEqual(await chainState());
    const anchors = await open.dataSource.getRepository(ChainRoundAnchorEntity).findBy({ jobId: jobId.toString() });
    const events = await jobs.queryFilter(jobs.filters.RoundAnchored(jobId));
    expect(anchors.map((a) => [a.round, a.updatesRoot, a.txHash])).toEqual(
      events.map((e) => [Number(e.args.round), e.args.updatesRoot, e.transactionHash]),
    );

    // Replaying everything from the start block changes nothing.
    await open.dataSource.query("UPDATE chain_cursors SET next_block = $1", [chain.system.deployment.startBlock]);
    await second.indexer.catchUp();
    expect(await tableState(open)).toEqual(await chainState());
    expect(await open.dataSource.getRepository(ChainRoundAnchorEntity).countBy({ jobId: jobId.toString() })).toBe(1);
    second.client.destroy();
  });

  it("hands a job created on chain to the listener until it is adopted, and finds its JobSpec by the on-chain hash", async () => {
    const blobs = new BlobStore(db.dataDir);
    const datasetId = await chain.registerDataset();
    const stored = await storeJobSpec(blobs, { ...spec, datasetIds: [datasetId.toString()] });
    // Independent reference: SHA-256 of the JSON with keys sorted, written here without the module's helper.
    const sortKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sortKeys)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([k, v]) => [k, sortKeys(v)]),
            )
          : value;
    expect(stored.modelSpecHash).toBe(hash(JSON.stringify(sortKeys(stored.spec))));

    const good = await chain.createJob({
      coordinator: coordinator.address,
      rounds: 2,
      modelSpecHash: stored.modelSpecHash,
      datasetIds: [datasetId],
    });
    const wrongRounds = await chain.createJob({
      coordinator: coordinator.address,
      rounds: 5,
      modelSpecHash: stored.modelSpecHash,
      datasetIds: [datasetId],
    });
    const missing = await chain.createJob({
      coordinator: coordinator.address,
      rounds: 1,
      modelSpecHash: hash("nobody"),
    });
    const notOurs = await chain.createJob({ coordinator: chain.deployer.address, rounds: 1 });
    await chain.rpc("hardhat_mine", [`0x${CONFIRMATIONS.toString(16)}`]);

    const seen: string[] = [];
    const specs = new Map<string, unknown>();
    const { indexer: first, client } = indexer(50);
    first.onJobCreated(async (job) => {
      seen.push(job.jobId);
      const found = await resolveJobSpec(blobs, job);
      specs.set(job.jobId, found);
      const { transactions, chainJobs } = stores();
      await transactions.run((tx) => chainJobs.markAdopted(tx, job.jobId, "41"));
    });
    await first.catchUp();
    expect(seen).toEqual([good, wrongRounds, missing].map(String));
    expect(specs.get(good.toString())).toEqual(stored.spec);
    const rows = await open.dataSource.getRepository(ChainJobEntity);
    expect((await rows.findOneByOrFail({ jobId: good.toString() })).adoptedJobId).toBe("41");
    expect((await rows.findOneByOrFail({ jobId: wrongRounds.toString() })).adoptionError).toMatch(
      /rounds is 5 on chain, 2/,
    );
    expect((await rows.findOneByOrFail({ jobId: missing.toString() })).adoptionError).toMatch(/no JobSpec uploaded/);
    expect((await rows.findOneByOrFail({ jobId: notOurs.toString() })).adoptedJobId).toBeNull();
    await expect(
      resolveJobSpec(blobs, await rows.findOneByOrFail({ jobId: missing.toString() })),
    ).rejects.toBeInstanceOf(JobSpecNotFoundError);
    await expect(
      resolveJobSpec(blobs, await rows.findOneByOrFail({ jobId: wrongRounds.toString() })),
    ).rejects.toBeInstanceOf(JobSpecMismatchError);
    client.destroy();

    // After a restart only the jobs still unadopted come again.
    const again: string[] = [];
    const { indexer: second, client: client2 } = indexer(50);
    second.onJobCreated((job) => {
      again.push(job.jobId);
    });
    await second.catchUp();
    expect(again).toEqual([wrongRounds, missing].map(String));
    client2.destroy();
  });
});
