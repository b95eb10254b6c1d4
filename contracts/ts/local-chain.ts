import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { hexlify, JsonRpcProvider, Network, randomBytes, type Signer, Wallet } from "ethers";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { EthereumProvider } from "hardhat/types/providers";
import { connectTributaryToken } from "../typed/connect.js";
import { DEFAULT_DEPLOY_OPTIONS, type DeployedSystem, deploySystem } from "./deploy-system.js";
import { ARTIFACTS_DIR, CACHE_DIR, ensureCompiled, findHardhatRoot } from "./hardhat-project.js";
import { JsonRpcBridge } from "./json-rpc-bridge.js";

const E18 = 10n ** 18n;

/** How `LocalChain.start` is tuned. */
export interface LocalChainOptions {
  /** The TCP port of the JSON-RPC endpoint on 127.0.0.1; 0 (the default) takes any free port. */
  readonly port?: number;
  /**
   * Hand every administrator role to the timelock, as a production deployment does, so parameters change only
   * through governance (default false: the deployer keeps them, so a demo or test can change parameters).
   */
  readonly governed?: boolean;
  /**
   * The chain's clock at its genesis (default now); blocks follow from there. Tests that verify a real vendor
   * document as of its own time start the chain then, so an attestation's expiry is in the chain's future.
   */
  readonly initialDate?: Date;
  /** Granted `REGISTRAR_ROLE` on AttestationRegistry at deployment (a coordinator's sender account). */
  readonly attestationRegistrar?: string;
}

/** What to send a wallet: ether for gas and TRIB from the deployer's supply, both in wei (18 decimals). */
export interface FundingOptions {
  /** Default 100 ETH. */
  readonly ether?: bigint;
  /** Default none. */
  readonly tokens?: bigint;
}

/** The on-chain description of a dataset enrolled by `registerDataset`. */
export interface DatasetOptions {
  /** The manifest hash (bytes32, non-zero). Default: 32 random bytes. */
  readonly commitment?: string;
  /** Price per training round in TRIB wei. Default 5 TRIB. */
  readonly pricePerRound?: bigint;
  /** Privacy budget ε scaled by 1e18. Default ε = 3. */
  readonly epsilon?: bigint;
  /** Privacy budget δ scaled by 1e18. Default δ = 1e-5. */
  readonly delta?: bigint;
}

/** A job as `createJob` puts it on TrainingJobs (exactly the fields of the contract's `JobParams`). */
export interface JobOptions {
  /** The account that will anchor rounds and finalise. */
  readonly coordinator: string;
  readonly rounds: number;
  /** Hash of the job specification (bytes32). Default `0xabab…`. */
  readonly modelSpecHash?: string;
  /** Enrolled datasets; default one fresh dataset owned by the deployer. */
  readonly datasetIds?: readonly bigint[];
  /** Escrowed reward in the payment token's smallest unit, approved and paid by the deployer. Default 1,000 TRIB. */
  readonly reward?: bigint;
  /** An ERC-20 the deployer holds enough of (e.g. a `MockERC20` it minted); default TRIB. */
  readonly paymentToken?: string;
}

/**
 * A local EVM chain: Hardhat 3's in-process EDR node with the whole Tributary system deployed, served over
 * JSON-RPC on 127.0.0.1 by a small HTTP bridge so other processes (coordinator, trainers) reach it like any RPC.
 * The deployer (Hardhat's first account) holds the whole TRIB supply and every admin role (the timelock holds them when started `governed`), and acts as the
 * researcher. `stopRpc()`/`startRpc()` cut and restore the endpoint (same port, same chain state, same mempool),
 * which is what an RPC outage looks like to the coordinator.
 *
 * Runs from any working directory: it finds the Hardhat project from this module's location, and compiles the
 * contracts once if their artifacts are missing.
 */
export class LocalChain {
  readonly #provider: EthereumProvider;
  readonly #ethers: HardhatEthers;
  readonly #close: () => Promise<void>;
  readonly #bridge: JsonRpcBridge;
  /** The tail of the deployer's transactions: they run one after another so nonces and allowances never race. */
  #deployerQueue: Promise<unknown> = Promise.resolve();
  readonly system: DeployedSystem;
  /**
   * Hardhat's first account: deployed everything, holds the TRIB supply and (unless `governed`) the admin roles, is
   * the researcher.
   */
  readonly deployer: HardhatEthersSigner;
  /** Hardhat's 20 prefunded accounts (10,000 ETH each), the deployer first. */
  readonly accounts: readonly HardhatEthersSigner[];

  private constructor(
    provider: EthereumProvider,
    ethers: HardhatEthers,
    close: () => Promise<void>,
    system: DeployedSystem,
    accounts: readonly HardhatEthersSigner[],
    port: number,
  ) {
    this.#provider = provider;
    this.#ethers = ethers;
    this.#close = close;
    this.#bridge = new JsonRpcBridge(provider, port);
    this.system = system;
    this.accounts = accounts;
    this.deployer = accounts[0] as HardhatEthersSigner;
  }

  /**
   * Starts the node, deploys the system (administered by the deployer, not a timelock, so a demo or test can
   * change parameters; by the timelock with `governed`) and opens the JSON-RPC endpoint. Rejects, with the node closed again, when the port is
   * taken.
   */
  static async start(options: LocalChainOptions = {}): Promise<LocalChain> {
    const root = findHardhatRoot();
    await ensureCompiled(root);
    const hre = await createHardhatRuntimeEnvironment(
      { plugins: [hardhatEthers], paths: { artifacts: ARTIFACTS_DIR, cache: CACHE_DIR } },
      {},
      root,
    );
    const connection = await hre.network.connect(
      options.initialDate === undefined ? undefined : { override: { initialDate: options.initialDate } },
    );
    try {
      const accounts = await connection.ethers.getSigners();
      const deployer = accounts[0] as HardhatEthersSigner;
      const registrar = options.attestationRegistrar;
      const system = await deploySystem(connection.ethers, deployer, {
        ...DEFAULT_DEPLOY_OPTIONS,
        ...(options.governed === true ? {} : { admin: deployer.address }),
        ...(registrar === undefined ? {} : { attestationRegistrar: registrar }),
      });
      const close = () => connection.close();
      const chain = new LocalChain(connection.provider, connection.ethers, close, system, accounts, options.port ?? 0);
      await chain.startRpc();
      return chain;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** The JSON-RPC endpoint, e.g. `http://127.0.0.1:8545`. */
  get url(): string {
    return `http://127.0.0.1:${this.#bridge.port}`;
  }

  /** The endpoint's TCP port on 127.0.0.1. */
  get port(): number {
    return this.#bridge.port;
  }

  /** The chain id (Hardhat's 31337), as `eth_chainId` reports it and transactions must be signed for. */
  get chainId(): number {
    return this.system.deployment.chainId;
  }

  /** Hardhat's ethers plugin on the in-process connection (no HTTP): contract factories, signers, provider. */
  get ethers(): HardhatEthers {
    return this.#ethers;
  }

  /**
   * A fresh standalone ethers provider on the RPC endpoint (what the coordinator sees). Its cache is off, or
   * back-to-back transactions from one wallet fail with "nonce too low". Call `destroy()` when done.
   */
  provider(): JsonRpcProvider {
    return new JsonRpcProvider(this.url, undefined, {
      cacheTimeout: -1,
      staticNetwork: Network.from(this.chainId),
    });
  }

  /**
   * A new random account with its own private key, funded from the deployer (default 100 ETH, no TRIB). The
   * wallet is not connected: `wallet.connect(chain.provider())` to send from it.
   */
  async fundedWallet(funding: FundingOptions = {}): Promise<Wallet> {
    const wallet = new Wallet(hexlify(randomBytes(32)));
    await this.fund(wallet.address, funding);
    return wallet;
  }

  /** `count` new funded wallets (see `fundedWallet`), e.g. one per data owner, trainer and the coordinator. */
  async fundedWallets(count: number, funding: FundingOptions = {}): Promise<Wallet[]> {
    const wallets: Wallet[] = [];
    for (let i = 0; i < count; i++) wallets.push(await this.fundedWallet(funding));
    return wallets;
  }

  /** Sends `address` ether (default 100 ETH) and TRIB (default none) from the deployer; waits for both. */
  async fund(address: string, funding: FundingOptions = {}): Promise<void> {
    const ether = funding.ether ?? 100n * E18;
    if (ether > 0n) {
      await this.#asDeployer(async () => (await this.deployer.sendTransaction({ to: address, value: ether })).wait());
    }
    if (funding.tokens !== undefined && funding.tokens > 0n) await this.transferTokens(address, funding.tokens);
  }

  /** Transfers `amount` TRIB wei from the deployer's supply to `to` and waits for it to be mined. */
  async transferTokens(to: string, amount: bigint): Promise<void> {
    const { token } = this.system.contracts;
    await this.#asDeployer(async () => (await token.connect(this.deployer).transfer(to, amount)).wait());
  }

  /** The TRIB balance of `address`, in wei. */
  async tokenBalance(address: string): Promise<bigint> {
    return this.system.contracts.token.balanceOf(address);
  }

  /**
   * Creates a job on TrainingJobs from the deployer (the researcher, who approves and escrows the reward), naming
   * `coordinator`; enrols a fresh dataset for it unless `datasetIds` are given. Returns the job id read from the
   * `JobCreated` event. The contract's `JobParams` has no per-round client count: that lives in the job
   * specification the `modelSpecHash` commits to.
   */
  async createJob(options: JobOptions): Promise<bigint> {
    const { token, jobs } = this.system.contracts;
    const datasetIds = options.datasetIds ?? [await this.registerDataset()];
    const reward = options.reward ?? 1_000n * E18;
    const paymentToken = options.paymentToken ?? (await token.getAddress());
    const params = {
      modelSpecHash: options.modelSpecHash ?? `0x${"ab".repeat(32)}`,
      datasetIds: [...datasetIds],
      rounds: options.rounds,
      reward,
      paymentToken,
      coordinator: options.coordinator,
    };
    const jobsAddress = await jobs.getAddress();
    return this.#asDeployer(async () => {
      // Any ERC-20 approves like TRIB does.
      await (await connectTributaryToken(paymentToken, this.deployer).approve(jobsAddress, reward)).wait();
      const receipt = await (await jobs.connect(this.deployer).createJob(params)).wait();
      if (receipt === null) throw new Error("createJob was not mined");
      const events = await jobs.queryFilter(jobs.filters.JobCreated(), receipt.blockNumber, receipt.blockNumber);
      const created = events.find((event) => event.transactionHash === receipt.hash);
      if (created === undefined) throw new Error("createJob emitted no JobCreated");
      return created.args.jobId;
    });
  }

  /**
   * Enrols a dataset owned by `owner` (default: the deployer) and returns its id from the `DatasetRegistered`
   * event. `owner` may be any ethers signer connected to this chain, e.g. a demo wallet
   * `wallet.connect(chain.provider())`, so each data owner enrols its own dataset.
   */
  async registerDataset(
    owner: Signer = this.deployer,
    uri = "ipfs://dataset",
    dataset: DatasetOptions = {},
  ): Promise<bigint> {
    const { datasets } = this.system.contracts;
    const register = async () => {
      const tx = await datasets
        .connect(owner)
        .registerDataset(
          dataset.commitment ?? hexlify(randomBytes(32)),
          uri,
          dataset.pricePerRound ?? 5n * E18,
          dataset.epsilon ?? 3n * E18,
          dataset.delta ?? 10n ** 13n,
        );
      const receipt = await tx.wait();
      if (receipt === null) throw new Error("registerDataset was not mined");
      const filter = datasets.filters.DatasetRegistered();
      const events = await datasets.queryFilter(filter, receipt.blockNumber, receipt.blockNumber);
      const registered = events.find((event) => event.transactionHash === receipt.hash);
      if (registered === undefined) throw new Error("registerDataset emitted no DatasetRegistered");
      return registered.args.datasetId;
    };
    return owner === this.deployer ? this.#asDeployer(register) : register();
  }

  /**
   * Appoints `member` to (or, with `isMember` false, removes it from) OptimisticVerifier's committee as the chain's
   * administrator, the deployer: what governance does with `setCommitteeMember` on a governed deployment. Refused by
   * the contract on a chain started `governed`, where only the timelock may.
   */
  async setCommitteeMember(member: string, isMember = true): Promise<void> {
    const { verifier } = this.system.contracts;
    await this.#asDeployer(async () =>
      (await verifier.connect(this.deployer).setCommitteeMember(member, isMember)).wait(),
    );
  }

  /** Calls the node directly (in process), bypassing the RPC endpoint: works during an outage. */
  rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return this.#provider.request({ method, params }) as Promise<T>;
  }

  /** Reopens the JSON-RPC endpoint on the same port after `stopRpc()`. */
  async startRpc(): Promise<void> {
    await this.#bridge.start();
  }

  /** Closes the endpoint and every open connection: calls fail with ECONNREFUSED until `startRpc()`. */
  async stopRpc(): Promise<void> {
    await this.#bridge.stop();
  }

  /** Closes the endpoint and the node; the chain's state is gone. */
  async stop(): Promise<void> {
    await this.stopRpc();
    await this.#close();
  }

  /** Runs `work` after every earlier deployer transaction this object sent has been mined. */
  #asDeployer<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#deployerQueue.then(work, work);
    this.#deployerQueue = result.catch(() => undefined);
    return result;
  }
}
