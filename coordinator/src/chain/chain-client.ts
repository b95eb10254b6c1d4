import { datasetRegistryAbi, trainingJobsAbi } from "@tributary/contracts";
import { Interface, JsonRpcProvider, Network, Wallet } from "ethers";
import type { ChainConfig } from "../config/coordinator-config.js";
import { ChainIdMismatchError } from "./chain-errors.js";

/**
 * The coordinator's connection to the chain: one JSON-RPC provider (a fixed network, so an unreachable node
 * makes calls fail instead of stalling start-up), the two contracts' ABIs and addresses, and the sender account
 * when one is configured. Owns no state: the indexer and the sender keep theirs in the database.
 */
export class ChainClient {
  readonly provider: JsonRpcProvider;
  readonly chainId: number;
  readonly trainingJobs: { readonly address: string; readonly abi: Interface };
  readonly datasetRegistry: { readonly address: string; readonly abi: Interface };
  /** The sender account (signs offline; never connected to the provider). */
  readonly wallet: Wallet | undefined;

  constructor(config: ChainConfig, chainId: number) {
    this.chainId = chainId;
    // cacheTimeout -1: never serve a cached nonce or block number; batchMaxCount 1: one request per HTTP call.
    this.provider = new JsonRpcProvider(config.rpcUrl, undefined, {
      staticNetwork: Network.from(chainId),
      cacheTimeout: -1,
      batchMaxCount: 1,
    });
    this.trainingJobs = { address: config.trainingJobs, abi: new Interface(trainingJobsAbi) };
    this.datasetRegistry = { address: config.datasetRegistry, abi: new Interface(datasetRegistryAbi) };
    this.wallet = config.senderPrivateKey === undefined ? undefined : new Wallet(config.senderPrivateKey);
  }

  /** Throws `ChainIdMismatchError` when the node serves another chain (an RPC error propagates as is). */
  async checkChainId(): Promise<void> {
    const actual = BigInt(await this.provider.send("eth_chainId", []));
    if (actual !== BigInt(this.chainId)) throw new ChainIdMismatchError(this.chainId, actual);
  }

  /** Calls a view function of TrainingJobs at the latest block and returns its decoded result. */
  async readJobs(fn: string, args: readonly unknown[]): Promise<ReturnType<Interface["decodeFunctionResult"]>> {
    const { address, abi } = this.trainingJobs;
    const data = await this.provider.call({ to: address, data: abi.encodeFunctionData(fn, args) });
    return abi.decodeFunctionResult(fn, data);
  }

  destroy(): void {
    this.provider.destroy();
  }
}
