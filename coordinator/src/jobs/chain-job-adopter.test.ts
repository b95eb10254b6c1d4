import { LocalChain } from "@tributary/contracts/local-chain";
import type { DatasetId } from "@tributary/protocol";
import { parseEther, Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASES } from "../../test-support/databases.js";
import { startChainCoordinator } from "../../test-support/on-chain-job.js";
import { ok, request, signInAs, until } from "../../test-support/rest.js";
import { ChainJobEntity } from "../chain/chain-job.entity.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

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

const database = DATABASES[0] as (typeof DATABASES)[number];

/** Uploads a two-round JobSpec for `datasets` and returns its modelSpecHash. */
async function uploadSpec(coordinator: Coordinator, datasets: DatasetId[], rounds = 2): Promise<string> {
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
    coordinator.url,
    "POST",
    "/chain/job-specs",
    {
      name: "adoption",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      datasetIds: datasets,
      rounds,
      learningRate: 0.1,
      clients: { min: 1, max: 3 },
      roundTimeoutS: 120,
    },
    await signInAs(coordinator.url, Wallet.createRandom(), coordinator.config.chainId),
  );
  return modelSpecHash;
}

async function chainJob(coordinator: Coordinator, jobId: bigint): Promise<ChainJobEntity> {
  return until(`on-chain job ${jobId} to be indexed`, async () => {
    const row = await coordinator.app
      .get(DataSource)
      .getRepository(ChainJobEntity)
      .findOneBy({ jobId: String(jobId) });
    return row ?? undefined;
  });
}

async function adopted(coordinator: Coordinator, jobId: bigint): Promise<void> {
  await until(`on-chain job ${jobId} to be adopted`, async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
}

/** Waits until the adopter recorded why it refused the job. */
async function refusal(coordinator: Coordinator, jobId: bigint): Promise<string> {
  return until(`on-chain job ${jobId} to be refused`, async () => {
    const row = await chainJob(coordinator, jobId);
    return row.adoptionError ?? undefined;
  });
}

describe("item 8: the adopter runs only jobs paid in an allowed token with a reward covering the datasets' prices", () => {
  let sender: Wallet;
  let coordinator: Coordinator;
  let dataset: DatasetId;
  let closeAll: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const db = await database.setup();
    sender = await chain.fundedWallet();
    coordinator = await startChainCoordinator(chain, db, sender);
    const owner = await chain.fundedWallet();
    // 5 TRIB per round.
    dataset = String(
      await chain.registerDataset(owner.connect(chain.provider()), "ipfs://d", { pricePerRound: parseEther("5") }),
    ) as DatasetId;
    closeAll = async () => {
      await coordinator.close();
      await db.cleanup();
    };
  });
  afterAll(() => closeAll());

  it("refuses a job paying 1,000 of a self-minted token (MockERC20), and adopts the same job paid in TRIB", async () => {
    const fake = await chain.ethers.deployContract("MockERC20", ["Fake", "FAKE", 18], chain.deployer);
    await (await fake.getFunction("mint")(chain.deployer.address, parseEther("1000"))).wait();
    const fakeAddress = (await fake.getAddress()).toLowerCase();
    const modelSpecHash = await uploadSpec(coordinator, [dataset]);
    const paidInFake = await chain.createJob({
      coordinator: sender.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
      reward: parseEther("1000"),
      paymentToken: fakeAddress,
    });
    const token = chain.system.deployment.contracts.TributaryToken.toLowerCase();
    expect(await refusal(coordinator, paidInFake)).toBe(
      `payment token ${fakeAddress} is not allowed by this coordinator (allowed: ${token})`,
    );
    expect((await request(coordinator.url, "GET", `/jobs/${paidInFake}`)).status).toBe(404);
    const paidInTrib = await chain.createJob({
      coordinator: sender.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
      reward: parseEther("1000"),
    });
    await adopted(coordinator, paidInTrib);
    // Still refused after the adopter's later polls.
    expect((await chainJob(coordinator, paidInFake)).adoptedJobId).toBeNull();
  });

  it("refuses a job whose reward is below Σ pricePerRound × rounds (1 wei, and 9.999… TRIB for 2 × 5 TRIB)", async () => {
    const modelSpecHash = await uploadSpec(coordinator, [dataset]);
    const oneWei = await chain.createJob({
      coordinator: sender.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
      reward: 1n,
    });
    // 2 rounds × 5 TRIB = 10 TRIB owed.
    expect(await refusal(coordinator, oneWei)).toBe(
      `reward 1 cannot cover its datasets' price: Σ pricePerRound × 2 round(s) = ${parseEther("10")}`,
    );
    const justUnder = await chain.createJob({
      coordinator: sender.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
      reward: parseEther("10") - 1n,
    });
    expect(await refusal(coordinator, justUnder)).toMatch(/^reward 9999999999999999999 cannot cover/);
    const exactly = await chain.createJob({
      coordinator: sender.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
      reward: parseEther("10"),
    });
    await adopted(coordinator, exactly);
    for (const refused of [oneWei, justUnder]) {
      expect((await request(coordinator.url, "GET", `/jobs/${refused}`)).status).toBe(404);
    }
  });
});

describe("item 12: a coordinator without a sender key adopts only jobs naming its configured address", () => {
  it("leaves a job naming another coordinator alone, and adopts the one naming it", async () => {
    const db = await database.setup();
    cleanup.push(() => db.cleanup());
    const me = await chain.fundedWallet();
    const other = await chain.fundedWallet();
    const deployment = chain.system.deployment;
    const coordinator = await createCoordinator(
      {
        port: 0,
        dataDir: db.dataDir,
        ...db.config,
        chainId: chain.chainId,
        verifyingContract: deployment.contracts.TrainingJobs,
        chain: {
          rpcUrl: chain.url,
          trainingJobs: deployment.contracts.TrainingJobs,
          datasetRegistry: deployment.contracts.DatasetRegistry,
          startBlock: deployment.startBlock,
          confirmations: 0,
          coordinator: me.address,
          pollIntervalMs: 50,
          maxBackoffMs: 200,
        },
      },
      process.env.TEST_LOGS ? {} : { logger: false },
    );
    cleanup.push(() => coordinator.close());
    // Production is the default with a chain.
    const health = await ok<{ mode: string; chain?: { coordinator: string } }>(coordinator.url, "GET", "/health");
    expect(health.mode).toBe("production");
    // A read-only coordinator names the address it was configured with.
    expect(health.chain?.coordinator).toBe(me.address.toLowerCase());
    const dataset = String(await chain.registerDataset()) as DatasetId;
    const modelSpecHash = await uploadSpec(coordinator, [dataset]);
    const forOther = await chain.createJob({
      coordinator: other.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
    });
    const forMe = await chain.createJob({
      coordinator: me.address,
      rounds: 2,
      modelSpecHash,
      datasetIds: [BigInt(dataset)],
    });
    await adopted(coordinator, forMe);
    const row = await chainJob(coordinator, forOther);
    expect(row.coordinator).toBe(other.address.toLowerCase());
    expect(row.adoptedJobId).toBeNull();
    expect(row.adoptionError).toBeNull();
    expect((await request(coordinator.url, "GET", `/jobs/${forOther}`)).status).toBe(404);
  });
});
