import { Module } from "@nestjs/common";
import { DatasetsModule } from "../datasets/datasets.module.js";
import { ModelsModule } from "../models/models.module.js";
import { ValidationModule } from "../validation/validation.module.js";
import { JobRepository } from "./job.repository.js";
import { JobsController } from "./jobs.controller.js";
import { JobsService } from "./jobs.service.js";
import { ParticipantRepository } from "./participant.repository.js";

/**
 * Training jobs (created from a researcher's spec, or adopted from TrainingJobs by `ChainJobAdopter`, which the
 * application registers only with a chain configured) and their admitted participants. Tells trainers about jobs
 * through the `JOB_ANNOUNCER` port, which the trainer gateway provides.
 */
@Module({
  imports: [DatasetsModule, ModelsModule, ValidationModule],
  controllers: [JobsController],
  providers: [JobRepository, ParticipantRepository, JobsService],
  exports: [JobRepository, ParticipantRepository, JobsService],
})
export class JobsModule {}
