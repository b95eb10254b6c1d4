import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigHelper, generateDid, Nft, NftFactory } from "@oceanprotocol/lib";
import { LocalChain } from "@tributary/contracts/local-chain";
import { type OceanAddresses, OceanAddressesSchema, oceanDatasetKey } from "@tributary/contracts/ocean";
import { connectDatasetRegistry, connectTrainingJobs, connectTributaryToken } from "@tributary/contracts/typed";
import type { Coordinator, CoordinatorConfigInput } from "@tributary/coordinator";
import { initTrainingBackend } from "@tributary/model-runtime";
import type { Bytes32, DatasetId, JobId } from "@tributary/protocol";
import { type AgentEvent, ChainJobAdmission, OceanOrderAdmission } from "@tributary/trainer-agent";
import { Contract, type JsonRpcProvider, parseEther, type Wallet, ZeroAddress } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { jsonLine, tributary } from "../../cli/test-support/run-tributary.js";
import { DATABASES, type TestDatabase } from "../../coordinator/test-support/databases.js";
import { startChainCoordinator } from "../../coordinator/test-support/on-chain-job.js";
import { ok, request, signInAs, until } from "../../coordinator/test-support/rest.js";
import { testManifest } from "../../coordinator/test-support/test-manifest.js";
import { CLASSES, FEATURES, type OwnerAgent, ownerAgent } from "../../trainer-agent/test-support/owner-fixture.js";

// Issue 16 item 7: datasets published on Ocean Protocol (a data NFT + compute datatoken, with @oceanprotocol/lib,
// against Ocean's contracts deployed on the local chain from @oceanprotocol/contracts). The coordinator adopts a job
// on such a dataset only once its researcher holds a valid datatoken order, and the owner's agent checks the order
// on chain before it reads a record.

const RECORDS = 64;
const REWARD = parseEther("1000");
const SPEC = {
  name: "ocean job",
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
/** Ocean's ERC-20 datatoken events and view, as an ABI written here from Ocean's ERC20Template.sol. */
const DATATOKEN_ABI = [
  "event OrderStarted(address indexed consumer, address payer, uint256 amount, uint256 serviceIndex, uint256 timestamp, address indexed publishMarketAddress, uint256 blockNumber)",
  "function balanceOf(address) view returns (uint256)",
  "function mint(address account, uint256 value)",
];

let chain: LocalChain;
let provider: JsonRpcProvider;
let db: TestDatabase;
let coordinator: Coordinator;
let sender: Wallet;
let ocean: OceanAddresses;
let deploymentFile: string;
let researcher: Wallet;
const agents: OwnerAgent[] = [];

beforeAll(async () => {
  await initTrainingBackend({ log: () => {} });
  chain = await LocalChain.start();
  provider = chain.provider();
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  sender = await chain.fundedWallet();
  // The operator deploys Ocean's contracts with the CLI, which adds them to the deployment file.
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-ocean-"));
  deploymentFile = path.join(dir, "deployment.json");
  await writeFile(deploymentFile, JSON.stringify(chain.system.deployment));
  vi.stubEnv("TRIBUTARY_DEPLOYER_KEY", (await chain.fundedWallet()).privateKey);
  const deployed = await tributary("ocean", "deploy", "--rpc", chain.url, "--deployment", deploymentFile, "--json");
  expect(deployed.code).toBe(0);
  ocean = OceanAddressesSchema.parse(JSON.parse(await readFile(deploymentFile, "utf8")).ocean);
  expect(ocean.chainId).toBe(chain.chainId);
  const again = await tributary("ocean", "deploy", "--rpc", chain.url, "--deployment", deploymentFile);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain(`already names Ocean's contracts (ERC721Factory ${ocean.ERC721Factory})`);
  coordinator = await startChainCoordinator(chain, db, sender, {}, {
    chain: { ocean },
  } as Partial<CoordinatorConfigInput>);
  researcher = (await chain.fundedWallet({ tokens: 10n * REWARD })).connect(provider);
}, 180_000);

afterAll(async () => {
  for (const { agent } of agents) agent.stop();
  await coordinator?.close();
  await db?.cleanup();
  provider?.destroy();
  await chain?.stop();
});

const chainFlags = () => ["--rpc", chain.url, "--deployment", deploymentFile, "--json"];

/** A data owner with its own key, its dataset registered on DatasetRegistry and published on Ocean (CLI). */
async function publishedDataset(tag: string, timeoutS: number) {
  const wallet = await chain.fundedWallet();
  const shard = testManifest(RECORDS, tag);
  const datasetId = String(
    await chain.registerDataset(wallet.connect(provider), "ipfs://owner", { commitment: shard.commitment }),
  ) as DatasetId;
  vi.stubEnv("TRIBUTARY_TRAINER_KEY", wallet.privateKey);
  const ran = await tributary(
    "dataset",
    "ocean-publish",
    datasetId,
    "--service-endpoint",
    coordinator.url,
    "--timeout",
    String(timeoutS),
    ...chainFlags(),
  );
  expect(ran.stderr).toBe("");
  expect(ran.code).toBe(0);
  const { dataset } = jsonLine(ran.stdout) as { dataset: { nft: string; datatoken: string; did: string } };
  return { wallet, shard, datasetId, ...dataset };
}

/** The researcher uploads the spec and creates the job on TrainingJobs from its own account, escrowing REWARD. */
async function createJob(datasetId: DatasetId): Promise<JobId> {
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
    coordinator.url,
    "POST",
    "/chain/job-specs",
    { ...SPEC, datasetIds: [datasetId] },
    await signInAs(coordinator.url, researcher, chain.chainId),
  );
  const { contracts } = chain.system.deployment;
  const jobs = connectTrainingJobs(contracts.TrainingJobs, researcher);
  await (
    await connectTributaryToken(contracts.TributaryToken, researcher).approve(contracts.TrainingJobs, REWARD)
  ).wait();
  const receipt = await (
    await jobs.createJob({
      modelSpecHash,
      datasetIds: [BigInt(datasetId)],
      rounds: SPEC.rounds,
      reward: REWARD,
      paymentToken: contracts.TributaryToken,
      coordinator: sender.address,
    })
  ).wait();
  const [created] = await jobs.queryFilter(jobs.filters.JobCreated(), receipt?.blockNumber, receipt?.blockNumber);
  return String(created?.args.jobId) as JobId;
}

async function order(datasetId: DatasetId) {
  vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
  return tributary("ocean", "order", datasetId, ...chainFlags());
}

async function refusal(jobId: JobId): Promise<string> {
  return until(`job ${jobId} to be refused`, async () => {
    const rows: { adoption_error: string | null }[] = await coordinator.app
      .get(DataSource)
      .query("SELECT adoption_error FROM chain_jobs WHERE job_id = $1", [jobId]);
    return rows[0]?.adoption_error ?? undefined;
  });
}

async function adopted(jobId: JobId): Promise<void> {
  await until(`job ${jobId} to be adopted`, async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
}

async function startAgent(dataset: Awaited<ReturnType<typeof publishedDataset>>): Promise<OwnerAgent> {
  const { contracts } = chain.system.deployment;
  const onChain = new ChainJobAdmission({
    runner: provider,
    chainId: chain.chainId,
    trainingJobs: contracts.TrainingJobs,
    datasetRegistry: contracts.DatasetRegistry,
    datasetId: dataset.datasetId,
    allowedTokens: [contracts.TributaryToken],
  });
  const owner = await ownerAgent({
    coordinatorUrl: coordinator.url,
    wallet: dataset.wallet,
    datasetId: dataset.datasetId,
    commitment: dataset.shard.commitment as Bytes32,
    manifest: dataset.shard.manifest,
    records: RECORDS,
    admission: new OceanOrderAdmission(onChain, {
      provider,
      ocean,
      trainingJobs: contracts.TrainingJobs,
      datasetRegistry: contracts.DatasetRegistry,
      datasetId: dataset.datasetId,
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

/** Ocean's own library, configured here for the local deployment as Ocean's address file would configure it. */
function oceanLib(signer: Wallet) {
  const helper = new ConfigHelper();
  const config = {
    ...helper.getConfig("development"),
    ...helper.getAddressesFromEnv("development", { development: ocean }),
    chainId: chain.chainId,
  };
  return {
    nft: new Nft(signer, "development", config),
    factory: new NftFactory(ocean.ERC721Factory, signer, chain.chainId, config),
  };
}

describe("a dataset published on Ocean: the researcher must hold a datatoken order", () => {
  let first: Awaited<ReturnType<typeof publishedDataset>>;
  let firstJob: JobId;

  it("publishes the data NFT as Ocean's library reads it: its DID, and the binding to the datatoken", async () => {
    first = await publishedDataset("ocean first", 3_600);
    expect(first.did).toBe(generateDid(first.nft, chain.chainId));
    const { contracts } = chain.system.deployment;
    const bound = await oceanLib(first.wallet.connect(provider)).nft.getData(
      first.nft,
      oceanDatasetKey(contracts.DatasetRegistry, first.datasetId),
    );
    expect(bound).toBe(first.datatoken);
  });

  it("refuses the job while the researcher holds no order, even one on a data NFT it published for the dataset itself", async () => {
    // The researcher publishes its own data NFT claiming the dataset, mints itself its datatoken and orders it.
    const { contracts } = chain.system.deployment;
    const lib = oceanLib(researcher);
    const tx = await lib.factory.createNftWithDatatoken(
      { name: "fake", symbol: "FAKE", templateIndex: 1, tokenURI: "", transferable: false, owner: researcher.address },
      {
        templateIndex: 1,
        minter: researcher.address,
        paymentCollector: researcher.address,
        mpFeeAddress: ZeroAddress,
        feeToken: ZeroAddress,
        feeAmount: "0",
        cap: "10",
        name: "FAKE-DT",
        symbol: "FAKE-DT",
      },
    );
    const receipt = await tx.wait();
    const created = (name: string) =>
      receipt?.logs
        .map((log) => lib.factory.contract.interface.parseLog(log))
        .find((event) => event?.name === name)
        ?.args.getValue("newTokenAddress") as string;
    const fakeNft = created("NFTCreated");
    const fakeToken = created("TokenCreated");
    await (
      await lib.nft.setData(
        fakeNft,
        researcher.address,
        oceanDatasetKey(contracts.DatasetRegistry, first.datasetId),
        fakeToken,
      )
    ).wait();
    const fake = new Contract(fakeToken, DATATOKEN_ABI, researcher);
    await (await fake.getFunction("mint")(researcher.address, parseEther("1"))).wait();

    firstJob = await createJob(first.datasetId);
    const reason = await refusal(firstJob);
    expect(reason).toContain(`dataset ${first.datasetId} is published on Ocean as ${first.did}`);
    expect(reason).toContain(`consumer ${researcher.address.toLowerCase()} holds no valid order`);
    expect(reason).toContain("no OrderStarted names it as consumer");
    expect((await request(coordinator.url, "GET", `/jobs/${firstJob}`)).status).toBe(404);
  });

  it("job create refuses before escrowing anything while the researcher holds no order", async () => {
    const specFile = path.join(path.dirname(deploymentFile), "spec.json");
    await writeFile(specFile, JSON.stringify({ ...SPEC, datasetIds: [first.datasetId] }));
    const token = connectTributaryToken(chain.system.deployment.contracts.TributaryToken, provider);
    const before = await token.balanceOf(researcher.address);
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
    const ran = await tributary(
      "job",
      "create",
      specFile,
      "--reward",
      "1000",
      "--coordinator",
      coordinator.url,
      ...chainFlags(),
    );
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      `dataset ${first.datasetId} is published on Ocean Protocol: order its compute service first (tributary ocean order ${first.datasetId})`,
    );
    expect(await token.balanceOf(researcher.address)).toBe(before);
  });

  it("adopts the job once the researcher ordered the dataset's compute service (one datatoken paid to the owner)", async () => {
    const ran = await order(first.datasetId);
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const datatoken = new Contract(first.datatoken, DATATOKEN_ABI, provider);
    const orders = await datatoken.queryFilter(
      datatoken.getEvent("OrderStarted")(researcher.address),
      ocean.startBlock,
    );
    expect(orders).toHaveLength(1);
    expect(await datatoken.getFunction("balanceOf")(researcher.address)).toBe(0n);
    expect(await datatoken.getFunction("balanceOf")(first.wallet.address)).toBeGreaterThan(0n);
    await adopted(firstJob);
  });

  it("the owner's agent checks the order on chain, joins and trains", async () => {
    const owner = await startAgent(first);
    await eventOf(owner, "joined", firstJob);
    const trained = await eventOf(owner, "trained", firstJob);
    expect(trained.round).toBe(0);
    expect(owner.events.some((event) => event.type === "job-refused")).toBe(false);
    expect(owner.trainReads()).toBeGreaterThan(0);
  });

  it("no order grants access once the owner revoked the asset (Ocean's metadata state 3), as `ocean show` reports", async () => {
    const show = async () => {
      const ran = await tributary("ocean", "show", first.datasetId, "--consumer", researcher.address, ...chainFlags());
      expect(ran.code).toBe(0);
      return jsonLine(ran.stdout) as { order: { valid: boolean; reason?: string } };
    };
    expect((await show()).order.valid).toBe(true);
    // The owner revokes the asset with Ocean's own library.
    const owner = first.wallet.connect(provider);
    await (await oceanLib(owner).nft.setMetadataState(first.nft, owner.address, 3)).wait();
    const revoked = await show();
    expect(revoked.order).toEqual({
      valid: false,
      reason: `asset ${first.did} is revoked by its publisher: its orders grant no access`,
    });
  });

  it("a publication whose commitment is no longer the dataset's is invalid: every job on the dataset is refused", async () => {
    const { contracts } = chain.system.deployment;
    const owner = first.wallet.connect(provider);
    const registry = connectDatasetRegistry(contracts.DatasetRegistry, owner);
    const current = await registry.getDataset(BigInt(first.datasetId));
    const changed = `0x${"5a".repeat(32)}`;
    await (
      await registry.updateDataset(
        BigInt(first.datasetId),
        changed,
        current.metadataURI,
        current.pricePerRound,
        current.epsilon,
        current.delta,
      )
    ).wait();
    const ran = await tributary("ocean", "show", first.datasetId, ...chainFlags());
    const { ocean: found } = jsonLine(ran.stdout) as { ocean: { kind: string; reason: string } };
    expect(found.kind).toBe("invalid");
    expect(found.reason).toBe(
      `${first.did} publishes commitment ${first.shard.commitment}, dataset ${first.datasetId} commits to ${changed} on DatasetRegistry`,
    );
    const jobId = await createJob(first.datasetId);
    expect(await refusal(jobId)).toContain(
      `dataset ${first.datasetId} is published on Ocean (data NFT ${first.nft}) but no order can be checked against it`,
    );
  });

  it("the agent refuses a job whose researcher's order expired: no record read, no ε spent", async () => {
    const second = await publishedDataset("ocean expiring", 600);
    expect((await order(second.datasetId)).code).toBe(0);
    const jobId = await createJob(second.datasetId);
    await adopted(jobId);
    // The chain's clock passes the service's timeout before the owner's agent comes online.
    await chain.rpc("evm_increaseTime", [601]);
    await chain.rpc("evm_mine");
    const owner = await startAgent(second);
    const refused = await eventOf(owner, "job-refused", jobId);
    expect(refused.code).toBe("OCEAN_ORDER_MISSING");
    expect(refused.message).toContain(`researcher has no valid order`);
    expect(refused.message).toContain("expired at");
    expect(owner.events.some((event) => event.type === "joined" && event.jobId === jobId)).toBe(false);
    expect(owner.trainReads()).toBe(0);
    expect(owner.privacy.spent().epsilon).toBe(0);
  });
});
