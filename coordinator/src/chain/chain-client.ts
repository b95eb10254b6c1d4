import {
  type AttestationRegistry,
  connectAttestationRegistry,
  connectDatasetRegistry,
  connectModelRegistry,
  connectTrainingJobs,
  type DatasetRegistry,
  type ModelRegistry,
  type TrainingJobs,
} from "@tributary/contracts/typed";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import type { ChainConfig } from "../config/coordinator-config.js";
import { ChainIdMismatchError } from "./chain-errors.js";

/**
 * The coordinator's connection to the chain: one JSON-RPC provider (a fixed network, so an unreachable node
 * makes calls fail instead of stalling start-up), the contracts, typed and reading through that provider (TrainingJobs
 * and DatasetRegistry, and ModelRegistry and AttestationRegistry when configured), and the sender account when one is configured. Owns no state: the indexer and the sender keep theirs in the database.
 */
export class ChainClient {
  readonly provider: JsonRpcProvider;
  readonly chainId: number;
  readonly trainingJobs: { readonly address: string; readonly contract: TrainingJobs };
  readonly datasetRegistry: { readonly address: string; readonly contract: DatasetRegistry };
  readonly modelRegistry: { readonly address: string; readonly contract: ModelRegistry } | undefined;
  readonly attestationRegistry: { readonly address: string; readonly contract: AttestationRegistry } | undefined;
  /** Blocks the indexer waits on top of a block before trusting it; readers pin their calls that deep too. */
  readonly confirmations: number;
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
    this.trainingJobs = {
      address: config.trainingJobs,
      contract: connectTrainingJobs(config.trainingJobs, this.provider),
    };
    this.datasetRegistry = {
      address: config.datasetRegistry,
      contract: connectDatasetRegistry(config.datasetRegistry, this.provider),
    };
    this.modelRegistry =
      config.modelRegistry === undefined
        ? undefined
        : { address: config.modelRegistry, contract: connectModelRegistry(config.modelRegistry, this.provider) };
    this.attestationRegistry =
      config.attestationRegistry === undefined
        ? undefined
        : {
            address: config.attestationRegistry,
            contract: connectAttestationRegistry(config.attestationRegistry, this.provider),
          };
    this.confirmations = config.confirmations;
    this.wallet = config.senderPrivateKey === undefined ? undefined : new Wallet(config.senderPrivateKey);
  }

  /** Throws `ChainIdMismatchError` when the node serves another chain (an RPC error propagates as is). */
  async checkChainId(): Promise<void> {
    const actual = BigInt(await this.provider.send("eth_chainId", []));
    if (actual !== BigInt(this.chainId)) throw new ChainIdMismatchError(this.chainId, actual);
  }

  destroy(): void {
    this.provider.destroy();
  }
}
