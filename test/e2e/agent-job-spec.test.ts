import { LocalChain } from "@tributary/contracts/local-chain";
import type { Coordinator } from "@tributary/coordinator";
import { initTrainingBackend } from "@tributary/model-runtime";
import type { Bytes32, DatasetId, JobId } from "@tributary/protocol";
import { type AgentEvent, ChainJobAdmission } from "@tributary/trainer-agent";
import { Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { ok, request, signInAs, until } from "../../coordinator/test-support/rest.js";
import { testManifest } from "../../coordinator/test-support/test-manifest.js";
import { CLASSES, FEATURES, type OwnerAgent, ownerAgent } from "../../trainer-agent/test-support/owner-fixture.js";

// Issue 12: the trainer agent trusts the coordinator with no job spec the researcher did not commit to. A real
// coordinator whose database has been edited serves (and instructs with) another spec than the job's on-chain
// `modelSpecHash`: the agent refuses before reading a record or spending any privacy budget; the same job, served
// faithfully, is trained.

const RECORDS = 64;
const SPEC = {
  name: "committed spec",
  model: {
    inputShape: [FEATURES],
    layers: [{ type: "dense", units: CLASSES, activation: "softmax" }],
    loss: "sparseCategoricalCrossentropy",
  },
  rounds: 1,
  clients: { min: 1, max: 1 },
  learningRate: 0.1,
  batchSize: 8,
  dp: { mode: "dp-sgd", l2NormClip: 1, noiseMultiplier: 1, targetEpsilon: 5, delta: 1e-5 },
  roundTimeoutS: 120,
};

let chain: LocalChain;
let db: TestDatabase;
let coordinator: Coordinator;
let sender: Wallet;
const agents: OwnerAgent[] = [];

beforeAll(async () => {
  await initTrainingBackend({ log: () => {} });
  chain = await LocalChain.start();
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  sender = await chain.fundedWallet();
  coordinator = await startChainCoordinator(chain, db, sender);
}, 180_000);

afterAll(async () => {
  for (const { agent } of agents) agent.stop();
  await coordinator?.close();
  await db?.cleanup();
  await chain?.stop();
});

/**
 * An owner registered on DatasetRegistry and a job for its dataset created on TrainingJobs with the
 * `modelSpecHash` the coordinator returned for SPEC, adopted by the coordinator.
 */
async function adoptedJob(tag: string) {
  const wallet = await chain.fundedWallet();
  const shard = testManifest(RECORDS, tag);
  const datasetId = String(
    await chain.registerDataset(wallet.connect(chain.provider()), "ipfs://owner", { commitment: shard.commitment }),
  ) as DatasetId;
  const researcher = await signInAs(coordinator.url, Wallet.createRandom(), chain.chainId);
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
    coordinator.url,
    "POST",
    "/chain/job-specs",
    { ...SPEC, datasetIds: [datasetId] },
    researcher,
  );
  const jobId = String(
    await chain.createJob({
      coordinator: sender.address,
      rounds: SPEC.rounds,
      modelSpecHash,
      datasetIds: [BigInt(datasetId)],
    }),
  ) as JobId;
  await until("the job to be adopted", async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
  return { wallet, shard, datasetId, jobId, modelSpecHash };
}

async function startAgent(job: Awaited<ReturnType<typeof adoptedJob>>): Promise<OwnerAgent> {
  const { contracts } = chain.system.deployment;
  const owner = await ownerAgent({
    coordinatorUrl: coordinator.url,
    wallet: job.wallet,
    datasetId: job.datasetId,
    commitment: job.shard.commitment as Bytes32,
    manifest: job.shard.manifest,
    records: RECORDS,
    admission: new ChainJobAdmission({
      runner: chain.provider(),
      chainId: chain.chainId,
      trainingJobs: contracts.TrainingJobs,
      datasetRegistry: contracts.DatasetRegistry,
      datasetId: job.datasetId,
      allowedTokens: [contracts.TributaryToken],
    }),
  });
  agents.push(owner);
  await owner.agent.start();
  return owner;
}

function eventOf<T extends AgentEvent["type"]>(owner: OwnerAgent, type: T, jobId: JobId) {
  return until(
    `the agent's ${type} event for job ${jobId}`,
    async () =>
      owner.events.find(
        (event): event is Extract<AgentEvent, { type: T }> =>
          event.type === type && "jobId" in event && event.jobId === jobId,
      ),
    60_000,
  );
}

describe("the agent checks the coordinator's job spec against the job's modelSpecHash on TrainingJobs", () => {
  it("refuses a job whose spec the coordinator changed (another model): not joined, no record read, no ε spent", async () => {
    const job = await adoptedJob("tampered");
    // The coordinator's operator edits the job's spec in its database; it serves and instructs from that row.
    await coordinator.app
      .get(DataSource)
      .query(`UPDATE jobs SET spec = jsonb_set(spec, '{model,layers,0,activation}', '"linear"') WHERE id = $1`, [
        job.jobId,
      ]);
    const served = await ok<{ spec: { model: { layers: { activation: string }[] } } }>(
      coordinator.url,
      "GET",
      `/jobs/${job.jobId}`,
    );
    expect(served.spec.model.layers[0]?.activation).toBe("linear");

    const owner = await startAgent(job);
    const refused = await eventOf(owner, "job-refused", job.jobId);
    expect(refused.code).toBe("JOB_SPEC_MISMATCH");
    expect(refused.message).toContain(`commits to modelSpecHash ${job.modelSpecHash}`);
    expect(owner.events.some((event) => event.type === "joined")).toBe(false);
    expect(owner.trainReads()).toBe(0);
    expect(owner.evalReads()).toBe(0);
    expect(owner.privacy.spent().epsilon).toBe(0);
  });

  it("trains the same job served as committed, spending ε", async () => {
    const job = await adoptedJob("faithful");
    const owner = await startAgent(job);
    await eventOf(owner, "joined", job.jobId);
    const trained = await eventOf(owner, "trained", job.jobId);
    expect(trained.round).toBe(0);
    expect(owner.events.some((event) => event.type === "job-refused")).toBe(false);
    expect(owner.trainReads()).toBeGreaterThan(0);
    expect(owner.privacy.spent().epsilon).toBeGreaterThan(0);
  });
});
