import { Module } from "@nestjs/common";
import { JobsModule } from "../jobs/jobs.module.js";
import { ModelsModule } from "../models/models.module.js";
import { RoundsModule } from "../rounds/rounds.module.js";
import { LedgerController } from "./ledger.controller.js";
import { LedgerService } from "./ledger.service.js";

/** The contribution ledger of on-chain jobs, for auditors (imported by the application only with a chain). */
@Module({
  imports: [JobsModule, RoundsModule, ModelsModule],
  controllers: [LedgerController],
  providers: [LedgerService],
})
export class LedgerModule {}
