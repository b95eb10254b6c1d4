import { Module } from "@nestjs/common";
import { JobsModule } from "../jobs/jobs.module.js";
import { ModelsModule } from "../models/models.module.js";
import { AssignmentRepository } from "./assignment.repository.js";
import { JobLeaseRepository } from "./job-lease.repository.js";
import { JobLeases } from "./job-leases.js";
import { RootUpdates } from "./root-updates.js";
import { RoundRepository } from "./round.repository.js";
import { RoundContexts } from "./round-contexts.js";
import { RoundDriver } from "./round-driver.js";
import { RoundsController } from "./rounds.controller.js";
import { RoundsService } from "./rounds.service.js";
import { SecAggRounds } from "./secagg-rounds.js";
import { UpdateRepository } from "./update.repository.js";
import { UpdateBatchWriter } from "./update-batch-writer.js";
import { UpdateIntake } from "./update-intake.js";
import { ValidationEvaluators } from "./validation-evaluators.js";

/**
 * Federated rounds: the persisted state machine (`RoundsService`), the driver that advances it, the intake of
 * trainers' updates, contribution scoring. Reaches trainers only through the `INSTRUCTION_SENDER` port, which
 * the trainer gateway provides.
 */
@Module({
  imports: [JobsModule, ModelsModule],
  controllers: [RoundsController],
  providers: [
    RoundRepository,
    AssignmentRepository,
    UpdateRepository,
    JobLeaseRepository,
    JobLeases,
    ValidationEvaluators,
    RootUpdates,
    SecAggRounds,
    RoundsService,
    RoundContexts,
    UpdateBatchWriter,
    UpdateIntake,
    RoundDriver,
  ],
  exports: [RoundRepository, UpdateRepository, RoundsService, UpdateIntake, RoundDriver, SecAggRounds],
})
export class RoundsModule {}
