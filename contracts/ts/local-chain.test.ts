import { createServer } from "node:net";
import { Contract, hexlify, type JsonRpcProvider, randomBytes, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetRegistryAbi, trainingJobsAbi, tributaryTokenAbi } from "../abi/generated.js";
import { LocalChain } from "./local-chain.js";

const E18 = 10n ** 18n;
/** Hardhat's default chain id, the one every Hardhat and EDR user knows. */
const HARDHAT_CHAIN_ID = 31_337;

/** A port nobody listens on right now (the system picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function post(url: string, body: string): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return response.json();
}

let chain: LocalChain;
let port: number;
/** What another process sees: plain ethers over the HTTP endpoint, contracts from the committed ABIs. */
let http: JsonRpcProvider;
let token: Contract;
let datasets: Contract;
let jobs: Contract;

beforeAll(async () => {
  port = await freePort();
  chain = await LocalChain.start({ port });
  http = chain.provider();
  const { contracts } = chain.system.deployment;
  token = new Contract(contracts.TributaryToken, tributaryTokenAbi, http);
  datasets = new Contract(contracts.DatasetRegistry, datasetRegistryAbi, http);
  jobs = new Contract(contracts.TrainingJobs, trainingJobsAbi, http);
});

afterAll(async () => {
  http?.destroy();
  await chain?.stop();
});

describe("LocalChain", () => {
  it("serves the deployed system over JSON-RPC on 127.0.0.1 at the requested port, with Hardhat's chain id", async () => {
    expect(chain.url).toBe(`http://127.0.0.1:${port}`);
    expect(chain.chainId).toBe(HARDHAT_CHAIN_ID);
    expect(Number(await http.send("eth_chainId", []))).toBe(HARDHAT_CHAIN_ID);
    expect((await jobs.getFunction("datasetRegistry")()).toLowerCase()).toBe(
      chain.system.deployment.contracts.DatasetRegistry,
    );
  });

  it("funds wallets with their own keys with ether and TRIB taken from the deployer", async () => {
    const before: bigint = await token.getFunction("balanceOf")(chain.deployer.address);
    const wallets = await chain.fundedWallets(3, { ether: 2n * E18, tokens: 50n * E18 });

    expect(new Set(wallets.map((wallet) => wallet.address)).size).toBe(3);
    for (const wallet of wallets) {
      expect(await http.getBalance(wallet.address)).toBe(2n * E18);
      expect(await token.getFunction("balanceOf")(wallet.address)).toBe(50n * E18);
    }
    expect(await token.getFunction("balanceOf")(chain.deployer.address)).toBe(before - 150n * E18);

    // The key is usable: the first wallet pays the second 10 TRIB from its own account over HTTP.
    const [payer, payee] = wallets as [Wallet, Wallet];
    const sent = await (token.connect(payer.connect(http)) as Contract).getFunction("transfer")(
      payee.address,
      10n * E18,
    );
    await sent.wait();
    expect(await chain.tokenBalance(payee.address)).toBe(60n * E18);
    expect(await chain.tokenBalance(payer.address)).toBe(40n * E18);
  });

  it("lets a data owner's own wallet enrol its dataset with its commitment, and a job then names that dataset", async () => {
    const [owner, coordinator] = (await chain.fundedWallets(2)) as [Wallet, Wallet];
    const commitment = hexlify(randomBytes(32));

    const datasetId = await chain.registerDataset(owner.connect(http), "ipfs://owner-a", {
      commitment,
      pricePerRound: 7n * E18,
    });
    const dataset = await datasets.getFunction("getDataset")(datasetId);
    expect(dataset.owner).toBe(owner.address);
    expect(dataset.commitment).toBe(commitment);
    expect(dataset.metadataURI).toBe("ipfs://owner-a");
    expect(dataset.pricePerRound).toBe(7n * E18);
    expect(dataset.active).toBe(true);

    const jobId = await chain.createJob({ coordinator: coordinator.address, rounds: 4, datasetIds: [datasetId] });
    expect(await jobs.getFunction("jobCount")()).toBe(jobId);
    const job = await jobs.getFunction("getJob")(jobId);
    expect(job.coordinator).toBe(coordinator.address);
    expect(job.researcher).toBe(chain.deployer.address);
    expect(job.rounds).toBe(4n);
    expect(job.escrow).toBe(1_000n * E18);
    expect([...(await jobs.getFunction("getJobDatasets")(jobId))]).toEqual([datasetId]);
  });

  it("gives each of several concurrent jobs its own id and escrow (the deployer's approvals never race)", async () => {
    const coordinator = Wallet.createRandom().address;
    const rewards = [100n * E18, 200n * E18, 300n * E18];
    const ids = await Promise.all(rewards.map((reward) => chain.createJob({ coordinator, rounds: 1, reward })));

    expect(new Set(ids).size).toBe(3);
    for (const [i, id] of ids.entries()) {
      expect((await jobs.getFunction("getJob")(id)).escrow).toBe(rewards[i]);
    }
  });

  it("stopRpc refuses connections on the port, startRpc reopens the same port with the chain's state intact", async () => {
    const head = await http.getBlockNumber();
    await chain.stopRpc();
    await expect(fetch(chain.url, { method: "POST", body: "{}" })).rejects.toThrow();
    expect(Number(await chain.rpc<string>("eth_blockNumber"))).toBe(head);

    await chain.startRpc();
    expect(chain.url).toBe(`http://127.0.0.1:${port}`);
    expect(await http.getBlockNumber()).toBe(head);
  });

  it("answers malformed JSON with a JSON-RPC parse error and keeps serving", async () => {
    expect(await post(chain.url, "{not json")).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32_700 } });
    expect(await post(chain.url, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "eth_chainId" }))).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: `0x${HARDHAT_CHAIN_ID.toString(16)}`,
    });
  });

  it("refuses to start on a port that is taken", async () => {
    await expect(LocalChain.start({ port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
