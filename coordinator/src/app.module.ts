/*
 * Module layering of the coordinator, bottom to top. A folder imports only from folders below it (never sideways
 * up, never from a folder above); the application files at the root (this module, `entities.ts`,
 * `create-coordinator.ts`) sit on top of everything.
 *
 *   common, config                  errors, injection tokens, the metrics registry, the parsed configuration
 *   database                        data-source options, migrations, the transaction runner
 *   blobs                           the content-addressed blob store
 *   models, validation              model versions; validation-set uploads
 *   chain                           the chain's mirror: repositories of the chain tables and the outbox, and (with
 *                                   `config.chain`) client, indexer, sender. Knows nothing of jobs or rounds.
 *   attestation                     trainer attestation: the real verifiers under the policy and clock, the
 *                                   registrar recording attested keys on AttestationRegistry (reads chain)
 *   datasets                        datasets enrolled here (and on DatasetRegistry, read from chain)
 *   jobs                            jobs, their participants, adoption of on-chain jobs (jobs → chain); port
 *                                   JOB_ANNOUNCER
 *   rounds                          the round state machine, driver, update intake, scoring; port
 *                                   INSTRUCTION_SENDER
 *   trainers                        the socket.io gateway: implements both ports with its sessions; admits
 *                                   trainers through the attestation registrar
 *   watch                           the read-only socket channel people watch jobs on (`WATCH_PATH`); implements
 *                                   port JOB_CHANGES, which rounds and trainers tell job changes through
 *   ledger                          the contribution ledger of on-chain jobs (reads chain, jobs, rounds, models)
 *   registry                        ModelRegistry listings: model metadata, licensed weights (reads chain, models)
 *   health                          liveness
 *   metrics                         `GET /metrics` for Prometheus: the counted events and the state read at each
 *                                   scrape (reads chain, jobs, rounds, trainers)
 *   auth                            sign-in (EIP-4361) and session tokens; imports no feature module
 *   access                          the roles the global access guard asks for (binds ACCESS_POLICY)
 *
 * Only `*.repository.ts` files touch TypeORM (plus entities' decorators, the data-source options and the
 * migrations); a transaction spanning modules is a `Transaction` from the `TransactionRunner`, passed to each
 * repository. Lower modules reach the trainer gateway only through the ports it binds.
 */
import { type DynamicModule, Module, type Provider } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import { ThrottlerModule } from "@nestjs/throttler";
import { AccessModule } from "./access/access.module.js";
import { AuthModule } from "./auth/auth.module.js";
import { BlobsModule } from "./blobs/blobs.module.js";
import { ChainModule } from "./chain/chain.module.js";
import type { ChainSenderHooks } from "./chain/chain-sender.js";
import { AccessGuard } from "./common/access.guard.js";
import { CallerThrottlerGuard } from "./common/caller-throttler.guard.js";
import { CoordinatorMetricsModule } from "./common/coordinator-metrics.module.js";
import { ConfigModule, type ConfigSeams } from "./config/config.module.js";
import type { CoordinatorConfig } from "./config/coordinator-config.js";
import { dataSourceOptions, typeOrmRoot } from "./database/data-source-options.js";
import { DatabaseModule } from "./database/database.module.js";
import { DatasetsModule } from "./datasets/datasets.module.js";
import { ENTITIES } from "./entities.js";
import { HealthModule } from "./health/health.module.js";
import { ChainJobAdopter } from "./jobs/chain-job-adopter.js";
import { JobSpecsController } from "./jobs/job-specs.controller.js";
import { JobsModule } from "./jobs/jobs.module.js";
import { LedgerModule } from "./ledger/ledger.module.js";
import { MetricsModule } from "./metrics/metrics.module.js";
import { ModelsModule } from "./models/models.module.js";
import { RegistryModule } from "./registry/registry.module.js";
import { RoundsModule } from "./rounds/rounds.module.js";
import { TrainersModule } from "./trainers/trainers.module.js";
import { ValidationModule } from "./validation/validation.module.js";
import { WatchModule } from "./watch/watch.module.js";

@Module({})
export class AppModule {
  /** The whole coordinator for one configuration and one database URL (PostgreSQL or embedded PGlite). */
  static forRoot(
    config: CoordinatorConfig,
    databaseUrl: string,
    senderHooks?: ChainSenderHooks,
    seams: ConfigSeams = {},
  ): DynamicModule {
    const embedded = config.databaseUrl === undefined;
    const onChain = config.chain !== undefined;
    // Without `config.chain` the chain module holds only the (empty) chain tables' repositories: no client,
    // indexer, sender, JobSpec route, ledger or adoption, i.e. exactly the off-chain coordinator. The model
    // listings need ModelRegistry too.
    const adoption: Provider[] = onChain ? [ChainJobAdopter] : [];
    const listings = config.chain?.modelRegistry === undefined ? [] : [RegistryModule];
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, seams),
        CoordinatorMetricsModule,
        DatabaseModule.forRoot(
          typeOrmRoot(dataSourceOptions(ENTITIES, databaseUrl, embedded, config.databaseSchema)),
          config,
        ),
        BlobsModule.forRoot(config.dataDir),
        ChainModule.forRoot(config, senderHooks),
        HealthModule,
        MetricsModule,
        ModelsModule,
        ValidationModule,
        DatasetsModule,
        JobsModule,
        RoundsModule,
        TrainersModule,
        WatchModule,
        ...(onChain ? [LedgerModule] : []),
        ...listings,
        AuthModule,
        AccessModule,
        ThrottlerModule.forRoot([{ name: "requests", ttl: 60_000, limit: config.requestsPerMinute }]),
      ],
      // Researchers upload the specs of on-chain jobs here, checked as their adoption will check them.
      controllers: onChain ? [JobSpecsController] : [],
      // The access guard runs first (it sets the caller), then the rate limit (per caller, else per IP).
      providers: [
        ...adoption,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: CallerThrottlerGuard },
      ],
    };
  }
}
