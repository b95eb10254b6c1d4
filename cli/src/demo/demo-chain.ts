import { connectRpc } from "@tributary/auditor";
import type { Deployment } from "@tributary/contracts/deployments";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { deployOcean, type OceanAddresses } from "@tributary/contracts/ocean";
import {
  connectDatasetRegistry,
  connectTrainingJobs,
  connectTributaryToken,
  type DatasetRegistry,
  type TrainingJobs,
} from "@tributary/contracts/typed";
import { type CoordinatorConfigInput, configFromDeployment } from "@tributary/coordinator";
import { type JobId, TributaryError } from "@tributary/protocol";
import { type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { resolveDeployment } from "../chain/deployment.js";
import type { Output } from "../chain/output.js";
import { type TokenInfo, tokenInfo } from "../chain/spend.js";
import type { OwnerChain } from "../dataset/dataset-enrolment.js";
import type { ResearcherChain } from "../job/create-job.js";
import { reclaimJob } from "../job/job-refunds.js";

/** Where the demo's marketplace runs: a local chain started for the run (default), or any EVM JSON-RPC endpoint. */
export type DemoChainOptions =
  | {
      readonly kind: "local";
      /** Port of the local chain's JSON-RPC endpoint on 127.0.0.1 (0: any free port). */
      readonly port: number;
    }
  | {
      readonly kind: "rpc";
      readonly rpcUrl: string;
      /** A deployment file (`contracts/deployments/<chainId>.json` format); default: the package's for the chain. */
      readonly deploymentFile?: string | undefined;
      /** Pays the rewards (holds TRIB) and the owners' and coordinator's gas. */
      readonly researcherKey: string;
      /** The coordinator's sender; default: a fresh account the researcher funds. */
      readonly coordinatorKey?: string | undefined;
      /** Blocks on top of a block before the coordinator trusts it (0 for a dev node that mines per transaction). */
      readonly confirmations: number;
    };

/** ETH each data owner gets for its enrolment and claim transactions, and the coordinator for anchors. */
const FUNDING = {
  local: { owner: parseEther("1"), coordinator: parseEther("10") },
  rpc: { owner: parseEther("0.01"), coordinator: parseEther("0.05") },
} as const;

/** What the local chain's deployer gives the researcher's own account: ETH for gas and funding, TRIB for rewards. */
const LOCAL_RESEARCHER = { ether: parseEther("1000"), tokens: parseEther("10000000") } as const;

export class DemoChainError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("DEMO_CHAIN", message, { details });
  }
}

/**
 * The marketplace side of the demo: the chain, the deployed contracts and the two accounts that are not data
 * owners, the researcher (pays the reward) and the coordinator (anchors rounds, finalises). The owners' accounts
 * are made by `newOwner`. Every transaction waits to be mined, one after another, so nonces never race.
 */
export class DemoChain {
  /** The in-process node when the demo started it (its clock can be moved); undefined on `--rpc`. */
  readonly #local: LocalChain | undefined;
  readonly #funding: { owner: bigint; coordinator: bigint };
  readonly #jobs: TrainingJobs;
  readonly #datasets: DatasetRegistry;
  #deployment: Deployment;

  private constructor(
    readonly rpcUrl: string,
    deployment: Deployment,
    /** A standalone provider on the RPC endpoint, as every other party sees the chain. */
    readonly provider: JsonRpcProvider,
    /** Pays the rewards (and everyone's gas): its own key, connected to `provider`. */
    readonly researcher: Wallet,
    readonly coordinatorWallet: Wallet,
    readonly confirmations: number,
    local: LocalChain | undefined,
  ) {
    this.#local = local;
    this.#deployment = deployment;
    this.#funding = local === undefined ? FUNDING.rpc : FUNDING.local;
    const { contracts } = deployment;
    this.#jobs = connectTrainingJobs(contracts.TrainingJobs, researcher);
    this.#datasets = connectDatasetRegistry(contracts.DatasetRegistry, provider);
  }

  /**
   * Starts the local chain (contracts deployed; the researcher is a fresh account the deployer funds with ETH and
   * TRIB) or connects to `--rpc` (the researcher's key given).
   */
  static async open(options: DemoChainOptions): Promise<DemoChain> {
    if (options.kind === "local") {
      // Loaded only when used: the in-process node pulls in Hardhat.
      const { LocalChain } = await import("@tributary/contracts/local-chain");
      const chain = await LocalChain.start({ port: options.port }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EADDRINUSE") throw error;
        throw new DemoChainError(
          `port ${options.port} on 127.0.0.1 is taken (another chain node?): pass --chain-port 0 for any free port, or --rpc to use that node`,
        );
      });
      try {
        const coordinator = new Wallet(Wallet.createRandom().privateKey);
        const provider = chain.provider();
        const researcher = new Wallet(Wallet.createRandom().privateKey, provider);
        await chain.fund(researcher.address, LOCAL_RESEARCHER);
        const demo = new DemoChain(chain.url, chain.system.deployment, provider, researcher, coordinator, 0, chain);
        await demo.sendEther(coordinator.address, demo.#funding.coordinator);
        return demo;
      } catch (error) {
        await chain.stop();
        throw error;
      }
    }
    const provider = await connectRpc(options.rpcUrl);
    try {
      const { chainId } = await provider.getNetwork();
      const { deployment } = await resolveDeployment(options.deploymentFile, chainId);
      const researcher = new Wallet(options.researcherKey, provider);
      const coordinator = new Wallet(options.coordinatorKey ?? Wallet.createRandom().privateKey);
      const demo = new DemoChain(
        options.rpcUrl,
        deployment,
        provider,
        researcher,
        coordinator,
        options.confirmations,
        undefined,
      );
      if (options.coordinatorKey === undefined) await demo.sendEther(coordinator.address, demo.#funding.coordinator);
      return demo;
    } catch (error) {
      provider.destroy();
      throw error;
    }
  }

  /** The deployment: Tributary's contracts, and Ocean's once `ocean()` found or deployed them. */
  get deployment(): Deployment {
    return this.#deployment;
  }

  /**
   * Ocean Protocol's contracts on this chain: the deployment file's on `--rpc` (an error naming what to add when it
   * has none), else deployed from `@oceanprotocol/contracts` by the researcher's account on the local chain, once.
   */
  async ocean(): Promise<OceanAddresses> {
    if (this.#deployment.ocean !== undefined) return this.#deployment.ocean;
    if (this.#local === undefined) {
      throw new DemoChainError(
        'the deployment names no Ocean Protocol contracts: add Ocean\'s addresses for this chain under "ocean" in the deployment file (or `tributary ocean deploy` on a chain of your own)',
      );
    }
    const ocean = await deployOcean(this.researcher);
    this.#deployment = { ...this.#deployment, ocean };
    return ocean;
  }

  /** Whether the demo started this chain in process (and may move its clock). */
  get local(): boolean {
    return this.#local !== undefined;
  }

  get chainId(): number {
    return this.deployment.chainId;
  }

  get trainingJobs(): string {
    return this.deployment.contracts.TrainingJobs;
  }

  /**
   * The coordinator's configuration for this chain, as `tributary coordinator` builds it from a deployment file: the
   * chain id and contracts, the sender key, and polling fit for this chain.
   */
  coordinatorConfig(): Pick<CoordinatorConfigInput, "chainId" | "verifyingContract" | "chain"> {
    const fixed = configFromDeployment(this.deployment, this.rpcUrl);
    return {
      ...fixed,
      chain: {
        ...fixed.chain,
        confirmations: this.confirmations,
        senderPrivateKey: this.coordinatorWallet.privateKey,
        pollIntervalMs: this.local ? 200 : 1_000,
        maxBackoffMs: this.local ? 2_000 : 30_000,
      },
    };
  }

  /** A new data owner's account, funded with a little ETH for its enrolment and claims, connected to the chain. */
  async newOwner(): Promise<Wallet> {
    const owner = new Wallet(Wallet.createRandom().privateKey, this.provider);
    await this.sendEther(owner.address, this.#funding.owner);
    return owner;
  }

  /**
   * A new account of a market role (the provider, the buyer), connected to the chain: the researcher funds it with
   * the ETH an owner gets for gas and `tokens` TRIB wei for what it stakes or spends.
   */
  async newAccount(tokens: bigint): Promise<Wallet> {
    const account = await this.newOwner();
    const token = connectTributaryToken(this.deployment.contracts.TributaryToken, this.researcher);
    const tx = await token.transfer(account.address, tokens);
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) {
      throw new DemoChainError(`funding ${account.address} with TRIB: transaction ${tx.hash} failed`);
    }
    return account;
  }

  /**
   * Moves the local chain's clock to `timestamp` (Unix seconds) and mines a block there, as only a chain of one's
   * own allows: the demo lets a channel's expiry and challenge period pass. Refuses on `--rpc`.
   */
  async advanceTimeTo(timestamp: bigint): Promise<void> {
    if (this.#local === undefined) throw new DemoChainError("only the demo's own local chain can move its clock");
    await this.#local.rpc("evm_setNextBlockTimestamp", [Number(timestamp)]);
    await this.#local.rpc("evm_mine");
  }

  /**
   * Appoints `members` to OptimisticVerifier's committee as the local chain's administrator (its deployer, which
   * stands in for governance there: on a governed deployment the timelock does it, `tributary gov propose --set
   * optimisticVerifier.committeeMember:ADDRESS=true`). Refuses on `--rpc`.
   */
  async appointCommittee(members: readonly string[]): Promise<void> {
    if (this.#local === undefined) {
      throw new DemoChainError("only the demo's own local chain can appoint a committee: governance does it elsewhere");
    }
    for (const member of members) await this.#local.setCommitteeMember(member);
  }

  /**
   * Waits until the block `blockNumber` has the confirmations the coordinator waits for (at once on the local
   * chain), so that what was mined there counts in the coordinator's answers.
   */
  async waitForConfirmations(blockNumber: number, timeoutMs = 120_000): Promise<void> {
    const started = Date.now();
    while ((await this.provider.getBlockNumber()) < blockNumber + this.confirmations) {
      if (Date.now() - started > timeoutMs) {
        throw new DemoChainError(
          `block ${blockNumber} did not get ${this.confirmations} confirmations within ${timeoutMs / 1000}s (a node that mines only on transactions needs --confirmations 0)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async sendEther(to: string, value: bigint): Promise<void> {
    const tx = await this.researcher.sendTransaction({ to, value });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1)
      throw new DemoChainError(`funding ${to}: transaction ${tx.hash} failed`);
  }

  /** An owner's account and DatasetRegistry connected to it, as `tributary dataset enrol` takes them. */
  ownerChain(owner: Wallet): OwnerChain {
    return {
      chainId: BigInt(this.chainId),
      provider: this.provider,
      owner: owner.address,
      registry: this.#datasets.connect(owner),
    };
  }

  /** The researcher's account and the contracts a job touches, as `tributary job create` takes them. */
  researcherChain(): ResearcherChain {
    return {
      chainId: BigInt(this.chainId),
      wallet: this.researcher,
      trainingJobs: this.#jobs,
      datasets: this.#datasets,
      ocean: this.#deployment.ocean,
    };
  }

  /** TRIB, in which the demo's rewards are paid and its datasets' prices stated. */
  paymentToken(): Promise<TokenInfo> {
    return tokenInfo(this.deployment.contracts.TributaryToken, this.provider);
  }

  /**
   * The researcher takes back what the job does not pay out (escrow − fee − payouts), as `tributary job reclaim`
   * does; null when nothing is left.
   */
  async reclaim(out: Output, jobId: JobId): Promise<{ amount: bigint; txHash: string } | null> {
    if ((await this.#jobs.reclaimable(BigInt(jobId))) === 0n) return null;
    const refund = await reclaimJob(out, { wallet: this.researcher, trainingJobs: this.#jobs }, jobId);
    return { amount: refund.amount, txHash: refund.tx.hash };
  }

  /** Stops the local chain (its state is gone) or disconnects from the RPC endpoint. */
  async close(): Promise<void> {
    this.provider.destroy();
    await this.#local?.stop();
  }
}
