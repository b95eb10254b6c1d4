import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { EthereumProvider } from "hardhat/types/providers";
import { DEFAULT_DEPLOY_OPTIONS, type DeployedSystem, deploySystem } from "../../contracts/scripts/deploy-system.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ARTIFACT = new URL(
  "../../contracts/artifacts/contracts/src/jobs/TrainingJobs.sol/TrainingJobs.json",
  import.meta.url,
);

/** Compiles the contracts once if `npx hardhat compile` has not run yet (the tests need their bytecode). */
function ensureCompiled(): void {
  if (existsSync(ARTIFACT)) return;
  execFileSync("npx", ["hardhat", "compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
}

interface RpcRequest {
  readonly id?: unknown;
  readonly method: string;
  readonly params?: unknown[];
}

/**
 * A local EVM chain for tests: Hardhat 3's in-process EDR node with the whole Tributary system deployed, served
 * over JSON-RPC on 127.0.0.1 by a small HTTP bridge. `stopRpc()`/`startRpc()` cut and restore the RPC endpoint
 * (same port, same chain state, same mempool), which is what an RPC outage looks like to the coordinator.
 */
export class LocalChain {
  readonly #provider: EthereumProvider;
  readonly #ethers: HardhatEthers;
  readonly #close: () => Promise<void>;
  #server: Server | undefined;
  #port = 0;
  readonly system: DeployedSystem;
  readonly deployer: HardhatEthersSigner;
  readonly accounts: readonly HardhatEthersSigner[];

  private constructor(
    provider: EthereumProvider,
    ethers: HardhatEthers,
    close: () => Promise<void>,
    system: DeployedSystem,
    accounts: readonly HardhatEthersSigner[],
  ) {
    this.#provider = provider;
    this.#ethers = ethers;
    this.#close = close;
    this.system = system;
    this.accounts = accounts;
    this.deployer = accounts[0] as HardhatEthersSigner;
  }

  static async start(): Promise<LocalChain> {
    ensureCompiled();
    const hre = await createHardhatRuntimeEnvironment(
      { plugins: [hardhatEthers], paths: { artifacts: "contracts/artifacts", cache: "contracts/cache" } },
      {},
      ROOT,
    );
    const connection = await hre.network.connect();
    const accounts = await connection.ethers.getSigners();
    const deployer = accounts[0] as HardhatEthersSigner;
    const system = await deploySystem(connection.ethers, deployer, {
      ...DEFAULT_DEPLOY_OPTIONS,
      admin: deployer.address,
    });
    const chain = new LocalChain(connection.provider, connection.ethers, () => connection.close(), system, accounts);
    await chain.startRpc();
    return chain;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get ethers(): HardhatEthers {
    return this.#ethers;
  }

  /** A fresh standalone ethers provider on the RPC endpoint (what the coordinator sees). */
  provider(): JsonRpcProvider {
    return new JsonRpcProvider(this.url, undefined, {
      cacheTimeout: -1,
      staticNetwork: Network.from(31_337),
    });
  }

  /** A new random account funded with 100 ETH. */
  async fundedWallet(): Promise<Wallet> {
    const wallet = Wallet.createRandom() as unknown as Wallet;
    const funded = new Wallet(wallet.privateKey);
    await (await this.deployer.sendTransaction({ to: funded.address, value: 100n * 10n ** 18n })).wait();
    return funded;
  }

  /**
   * Creates a job on TrainingJobs from the deployer (who holds the token supply and is the researcher), naming
   * `coordinator`; enrols a fresh dataset for it unless `datasetIds` are given. Returns the job id.
   */
  async createJob(options: {
    coordinator: string;
    rounds: number;
    modelSpecHash?: string;
    datasetIds?: bigint[];
    reward?: bigint;
  }): Promise<bigint> {
    const { token, jobs } = this.system.contracts;
    const datasetIds = options.datasetIds ?? [await this.registerDataset()];
    const reward = options.reward ?? 1_000n * 10n ** 18n;
    await (await token.connect(this.deployer).approve(await jobs.getAddress(), reward)).wait();
    const spec = options.modelSpecHash ?? `0x${"ab".repeat(32)}`;
    await (
      await jobs.connect(this.deployer).createJob({
        modelSpecHash: spec,
        datasetIds,
        rounds: options.rounds,
        reward,
        paymentToken: await token.getAddress(),
        coordinator: options.coordinator,
      })
    ).wait();
    return jobs.jobCount();
  }

  /** Enrols a dataset owned by `owner` (default: the deployer) and returns its id. */
  async registerDataset(owner: HardhatEthersSigner = this.deployer, uri = "ipfs://dataset"): Promise<bigint> {
    const { datasets } = this.system.contracts;
    const commitment = `0x${(Date.now().toString(16) + Math.random().toString(16).slice(2)).padEnd(64, "0").slice(0, 64)}`;
    await (
      await datasets.connect(owner).registerDataset(commitment, uri, 5n * 10n ** 18n, 3n * 10n ** 18n, 10n ** 13n)
    ).wait();
    return datasets.datasetCount();
  }

  /** Calls the node directly (in process), bypassing the RPC endpoint: works during an outage. */
  rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return this.#provider.request({ method, params }) as Promise<T>;
  }

  async startRpc(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((request, response) => void this.#serve(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Closes the endpoint and every open connection: calls fail with ECONNREFUSED until `startRpc()`. */
  async stopRpc(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async stop(): Promise<void> {
    await this.stopRpc();
    await this.#close();
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
    const answer = Array.isArray(body)
      ? await Promise.all(body.map((one) => this.#answer(one)))
      : await this.#answer(body);
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  }

  async #answer(request: RpcRequest): Promise<object> {
    try {
      const result = await this.#provider.request({ method: request.method, params: request.params ?? [] });
      return { jsonrpc: "2.0", id: request.id, result: result ?? null };
    } catch (error) {
      const { code, message, data } = error as { code?: number; message: string; data?: unknown };
      return { jsonrpc: "2.0", id: request.id, error: { code: code ?? -32_603, message, data } };
    }
  }
}
