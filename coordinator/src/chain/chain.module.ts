import type { Provider, Type } from "@nestjs/common";
import { getDataSourceToken } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import type { ChainConfig, CoordinatorConfig } from "../config/coordinator-config.js";
import { LedgerController } from "../ledger/ledger.controller.js";
import { LedgerService } from "../ledger/ledger.service.js";
import { ChainClient } from "./chain-client.js";
import { ChainIndexer } from "./chain-indexer.js";
import { ChainJobAdopter } from "./chain-job-adopter.js";
import { ChainOutbox } from "./chain-outbox.js";
import { ChainSender, type ChainSenderHooks } from "./chain-sender.js";
import { JobSpecsController } from "./job-specs.controller.js";

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

/** The indexer's options from the configuration. */
export function indexerOptions(chain: ChainConfig, coordinator: string | undefined) {
  return {
    startBlock: chain.startBlock,
    confirmations: chain.confirmations,
    maxBlockRange: chain.maxBlockRange,
    pollIntervalMs: chain.pollIntervalMs,
    maxBackoffMs: chain.maxBackoffMs,
    ...(coordinator === undefined ? {} : { coordinator }),
  };
}

/**
 * The chain feature's Nest providers and controllers, or none when `config.chain` is absent (the coordinator then
 * behaves exactly as without this module). The indexer and the sender start at application bootstrap and stop
 * at shutdown; the sender exists only with `chain.senderPrivateKey`.
 */
export function chainFeature(
  config: CoordinatorConfig,
  senderHooks: ChainSenderHooks = {},
): { providers: Provider[]; controllers: Type[] } {
  const chain = config.chain;
  if (chain === undefined) return { providers: [], controllers: [] };
  const providers: Provider[] = [
    {
      provide: ChainClient,
      useFactory: () => new ChainClient(chain, config.chainId),
    },
    ChainOutbox,
    {
      provide: ChainIndexer,
      inject: [getDataSourceToken(), ChainClient],
      useFactory: (db: DataSource, client: ChainClient) =>
        new ChainIndexer(db, client, indexerOptions(chain, client.wallet?.address)),
    },
    ChainJobAdopter,
    LedgerService,
  ];
  if (chain.senderPrivateKey !== undefined) {
    providers.push({
      provide: ChainSender,
      inject: [getDataSourceToken(), ChainClient],
      useFactory: (db: DataSource, client: ChainClient) =>
        new ChainSender(db, client, senderOptions(chain), senderHooks),
    });
  }
  return { providers, controllers: [JobSpecsController, LedgerController] };
}
