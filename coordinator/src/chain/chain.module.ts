import { type DynamicModule, Module, type Provider } from "@nestjs/common";
import type { ChainConfig, CoordinatorConfig } from "../config/coordinator-config.js";
import { TransactionRunner } from "../database/transaction-runner.repository.js";
import { AttestationRegistryReader } from "./attestation-registry-reader.js";
import { ChainClient } from "./chain-client.js";
import { ChainDatasetRepository } from "./chain-dataset.repository.js";
import { ChainIndexRepository } from "./chain-index.repository.js";
import { ChainIndexer } from "./chain-indexer.js";
import { ChainIntentRepository } from "./chain-intent.repository.js";
import { ChainJobRepository } from "./chain-job.repository.js";
import { ChainLeadership, type LeaderLoop } from "./chain-leadership.js";
import { ChainRoundAnchorRepository } from "./chain-round-anchor.repository.js";
import { ChainSender, type ChainSenderHooks } from "./chain-sender.js";
import { ModelRegistryReader } from "./model-registry-reader.js";
import { OceanOrders } from "./ocean-orders.js";
import { PaymentTokens } from "./payment-tokens.js";

/** The sender's options from the configuration. */
export function senderOptions(chain: ChainConfig) {
  return {
    confirmations: chain.confirmations,
    pollIntervalMs: chain.pollIntervalMs,
    bumpAfterMs: chain.bumpAfterMs,
    feeBumpPercent: chain.feeBumpPercent,
    maxBackoffMs: chain.maxBackoffMs,
    ...(chain.maxFeePerGasCap === undefined ? {} : { maxFeePerGasCap: BigInt(chain.maxFeePerGasCap) }),
  };
}

/**
 * The indexer's options from the configuration: only jobs naming this coordinator (`chain.coordinator`, else the
 * sender key's address; the configuration requires one of them) are adopted.
 */
export function indexerOptions(chain: ChainConfig, senderAddress: string | undefined) {
  const coordinator = chain.coordinator ?? senderAddress;
  if (coordinator === undefined) throw new TypeError("chain.coordinator is required without chain.senderPrivateKey");
  return {
    startBlock: chain.startBlock,
    confirmations: chain.confirmations,
    maxBlockRange: chain.maxBlockRange,
    pollIntervalMs: chain.pollIntervalMs,
    maxBackoffMs: chain.maxBackoffMs,
    coordinator,
  };
}

/** The repositories of the chain tables, which exist with or without a chain (empty without). */
const RECORDS = [ChainDatasetRepository, ChainJobRepository, ChainIntentRepository, ChainRoundAnchorRepository];

/**
 * The chain: the repositories of what the indexer learnt and of the outbox (global, so that datasets, jobs,
 * rounds, trainers and the ledger read them), and, only when `config.chain` is set, the client, the indexer, the
 * sender (the JobSpec upload route lives with the jobs, in `AppModule`), with `chain.modelRegistry` the `ModelRegistryReader` and with
 * `chain.attestationRegistry` the `AttestationRegistryReader`. Without a chain configured the coordinator is exactly the off-chain one.
 * The indexer and the sender run on the chain leader only (`ChainLeadership`: one replica of those sharing the
 * database, and always the one process on PGlite) and stop at shutdown; the sender exists only with
 * `chain.senderPrivateKey`. Knows nothing of jobs, rounds or trainers: adoption lives in the jobs module.
 */
@Module({})
export class ChainModule {
  static forRoot(config: CoordinatorConfig, senderHooks: ChainSenderHooks = {}): DynamicModule {
    const chain = config.chain;
    const base = { module: ChainModule, global: true, providers: [...RECORDS] as Provider[], exports: [...RECORDS] };
    if (chain === undefined) return base;
    const providers: Provider[] = [
      { provide: ChainClient, useFactory: () => new ChainClient(chain, config.chainId) },
      ChainIndexRepository,
      {
        provide: PaymentTokens,
        inject: [ChainClient],
        useFactory: (client: ChainClient) => new PaymentTokens(client, chain.paymentTokens),
      },
      {
        provide: OceanOrders,
        inject: [ChainClient],
        useFactory: (client: ChainClient) => new OceanOrders(client, chain.ocean),
      },
      {
        provide: ChainIndexer,
        inject: [TransactionRunner, ChainIndexRepository, ChainJobRepository, ChainClient],
        useFactory: (
          transactions: TransactionRunner,
          index: ChainIndexRepository,
          chainJobs: ChainJobRepository,
          client: ChainClient,
        ) =>
          new ChainIndexer({ transactions, index, chainJobs }, client, indexerOptions(chain, client.wallet?.address)),
      },
    ];
    const exports: Provider[] = [ChainClient, ChainIndexer, PaymentTokens, OceanOrders];
    if (chain.modelRegistry !== undefined) {
      providers.push({
        provide: ModelRegistryReader,
        inject: [ChainClient],
        useFactory: (client: ChainClient) => new ModelRegistryReader(client),
      });
      exports.push(ModelRegistryReader);
    }
    if (chain.attestationRegistry !== undefined) {
      providers.push({
        provide: AttestationRegistryReader,
        inject: [ChainClient],
        useFactory: (client: ChainClient) => new AttestationRegistryReader(client),
      });
      exports.push(AttestationRegistryReader);
    }
    if (chain.senderPrivateKey !== undefined) {
      providers.push({
        provide: ChainSender,
        inject: [ChainIntentRepository, ChainClient],
        useFactory: (intents: ChainIntentRepository, client: ChainClient) =>
          new ChainSender(intents, client, senderOptions(chain), senderHooks),
      });
      exports.push(ChainSender);
    }
    // The indexer and the sender run on one replica at a time: the holder of the chain's advisory lock.
    const leaderLoops = chain.senderPrivateKey === undefined ? [ChainIndexer] : [ChainIndexer, ChainSender];
    providers.push({
      provide: ChainLeadership,
      inject: leaderLoops,
      useFactory: (...loops: LeaderLoop[]) =>
        new ChainLeadership(config.databaseUrl, config.databaseSchema, loops, chain.pollIntervalMs),
    });
    return {
      ...base,
      providers: [...base.providers, ...providers],
      exports: [...base.exports, ...exports],
    };
  }
}
