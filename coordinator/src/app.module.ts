import { type DynamicModule, Module } from "@nestjs/common";
import { TypeOrmModule } from "@nestjs/typeorm";
import { BlobStore } from "./blobs/blob-store.js";
import { chainFeature } from "./chain/chain-providers.js";
import type { ChainSenderHooks } from "./chain/chain-sender.js";
import { COORDINATOR_CONFIG } from "./common/tokens.js";
import type { CoordinatorConfig } from "./config/coordinator-config.js";
import { dataSourceOptions } from "./database/data-source-options.js";
import { DatasetsController } from "./datasets/datasets.controller.js";
import { DatasetsService } from "./datasets/datasets.service.js";
import { HealthController } from "./health.controller.js";
import { JobsController } from "./jobs/jobs.controller.js";
import { JobsService } from "./jobs/jobs.service.js";
import { ModelsController } from "./models/models.controller.js";
import { RoundDriver } from "./rounds/round-driver.js";
import { RoundsService } from "./rounds/rounds.service.js";
import { UpdateIntake } from "./rounds/update-intake.js";
import { ValidationEvaluators } from "./rounds/validation-evaluators.js";
import { TrainerGateway } from "./trainers/trainer-gateway.js";
import { TrainerSessions } from "./trainers/trainer-sessions.js";
import { TrainersController } from "./trainers/trainers.controller.js";
import { TrainersService } from "./trainers/trainers.service.js";
import { ValidationSetsController } from "./validation/validation-sets.controller.js";

@Module({})
export class AppModule {
  /** The whole coordinator for one configuration and one database URL (PostgreSQL or embedded PGlite). */
  static forRoot(config: CoordinatorConfig, databaseUrl: string, senderHooks?: ChainSenderHooks): DynamicModule {
    const embedded = config.databaseUrl === undefined;
    // Empty unless `config.chain` is set: without a chain the coordinator is exactly the off-chain one.
    const chain = chainFeature(config, senderHooks);
    return {
      module: AppModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, embedded, config.databaseSchema))],
      controllers: [
        HealthController,
        DatasetsController,
        JobsController,
        ModelsController,
        TrainersController,
        ValidationSetsController,
        ...chain.controllers,
      ],
      providers: [
        { provide: COORDINATOR_CONFIG, useValue: config },
        { provide: BlobStore, useValue: new BlobStore(config.dataDir) },
        DatasetsService,
        JobsService,
        TrainersService,
        TrainerSessions,
        RoundsService,
        ValidationEvaluators,
        UpdateIntake,
        RoundDriver,
        TrainerGateway,
        ...chain.providers,
      ],
    };
  }
}
