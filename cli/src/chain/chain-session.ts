import { connectRpc } from "@tributary/auditor";
import type { DeployedContractName } from "@tributary/contracts/deployments";
import {
  connectAttestationRegistry,
  connectDatasetRegistry,
  connectModelRegistry,
  connectOptimisticVerifier,
  connectPaymentChannels,
  connectStaking,
  connectTrainingJobs,
  connectTreasury,
  connectTributaryGovernor,
  connectTributaryTimelock,
  connectTributaryToken,
} from "@tributary/contracts/typed";
import type { ContractRunner, JsonRpcProvider, Wallet } from "ethers";
import { type DeploymentContext, type ResolvedDeployment, resolveDeployment } from "./deployment.js";

/** The generated `connect<Name>` of every contract a deployment holds (the compiler checks none is missing). */
const CONNECT = {
  TributaryToken: connectTributaryToken,
  TributaryTimelock: connectTributaryTimelock,
  TributaryGovernor: connectTributaryGovernor,
  Treasury: connectTreasury,
  Staking: connectStaking,
  DatasetRegistry: connectDatasetRegistry,
  TrainingJobs: connectTrainingJobs,
  ModelRegistry: connectModelRegistry,
  OptimisticVerifier: connectOptimisticVerifier,
  PaymentChannels: connectPaymentChannels,
  AttestationRegistry: connectAttestationRegistry,
} as const satisfies Record<DeployedContractName, unknown>;

/** The typed contract (TypeChain) of deployment contract `N`, e.g. `Staking`. */
export type DeployedContract<N extends DeployedContractName> = ReturnType<(typeof CONNECT)[N]>;

/** What every chain command is given: the RPC endpoint and, optionally, the deployment file. */
export interface ChainOptions {
  readonly rpc: string;
  readonly deployment?: string | undefined;
}

/**
 * One command's connection to a chain: the provider (chain id read once), the user's deployment for that chain
 * (resolved on first use, from `--deployment` or `contracts/deployments/<chainId>.json` only), and typed
 * contracts of the deployment by name. Open with `withChain`, which closes it.
 */
export class ChainSession {
  #deployment: Promise<ResolvedDeployment> | undefined;

  private constructor(
    readonly provider: JsonRpcProvider,
    readonly chainId: bigint,
    private readonly options: ChainOptions,
    private readonly context: DeploymentContext,
  ) {}

  /** Connects to `options.rpc` (a one-line error naming the URL when it cannot be reached). */
  static async open(options: ChainOptions, context: DeploymentContext = {}): Promise<ChainSession> {
    const provider = await connectRpc(options.rpc);
    try {
      const { chainId } = await provider.getNetwork();
      return new ChainSession(provider, chainId, options, context);
    } catch (error) {
      provider.destroy();
      throw error;
    }
  }

  /** The deployment the user gave or keeps for this chain (`DeploymentUnknownError` when there is none). */
  deployment(): Promise<ResolvedDeployment> {
    this.#deployment ??= resolveDeployment(this.options.deployment, this.chainId, this.context);
    return this.#deployment;
  }

  /** The address of deployment contract `name`. */
  async address(name: DeployedContractName): Promise<string> {
    return (await this.deployment()).deployment.contracts[name];
  }

  /** Deployment contract `name`, typed, reading through the provider or sending from `wallet` (connected here). */
  async contract<N extends DeployedContractName>(name: N, wallet?: Wallet): Promise<DeployedContract<N>> {
    const runner: ContractRunner = wallet === undefined ? this.provider : wallet.connect(this.provider);
    const connect = CONNECT[name] as (address: string, runner: ContractRunner) => DeployedContract<N>;
    return connect(await this.address(name), runner);
  }

  close(): void {
    this.provider.destroy();
  }
}

/** Runs `body` with a `ChainSession` on `options.rpc`, closed afterwards whatever happens. */
export async function withChain<T>(
  options: ChainOptions,
  context: DeploymentContext,
  body: (chain: ChainSession) => Promise<T>,
): Promise<T> {
  const chain = await ChainSession.open(options, context);
  try {
    return await body(chain);
  } finally {
    chain.close();
  }
}
