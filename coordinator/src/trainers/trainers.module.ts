import { Global, Module } from "@nestjs/common";
import { AttestationModule } from "../attestation/attestation.module.js";
import { AuthModule } from "../auth/auth.module.js";
import { DatasetsModule } from "../datasets/datasets.module.js";
import { JOB_ANNOUNCER } from "../jobs/job-announcer.js";
import { JobsModule } from "../jobs/jobs.module.js";
import { INSTRUCTION_SENDER } from "../rounds/instruction-sender.js";
import { RoundsModule } from "../rounds/rounds.module.js";
import { TrainerRepository } from "./trainer.repository.js";
import { TrainerGateway } from "./trainer-gateway.js";
import { TrainerPresence } from "./trainer-presence.js";
import { TrainerSessions } from "./trainer-sessions.js";
import { TrainersController } from "./trainers.controller.js";
import { TrainersService } from "./trainers.service.js";

/**
 * The trainer gateway: socket.io sessions, login and admission, and the implementation of the ports through
 * which jobs and rounds reach trainers. Global so that those ports resolve in the modules below it, which never
 * import this one.
 */
@Global()
@Module({
  imports: [AttestationModule, AuthModule, DatasetsModule, JobsModule, RoundsModule],
  controllers: [TrainersController],
  providers: [
    TrainerRepository,
    TrainerPresence,
    TrainerSessions,
    TrainersService,
    TrainerGateway,
    { provide: INSTRUCTION_SENDER, useExisting: TrainerSessions },
    { provide: JOB_ANNOUNCER, useExisting: TrainerSessions },
  ],
  exports: [INSTRUCTION_SENDER, JOB_ANNOUNCER, TrainerSessions],
})
export class TrainersModule {}
