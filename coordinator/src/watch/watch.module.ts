import { Global, Module } from "@nestjs/common";
import { AuthModule } from "../auth/auth.module.js";
import { JOB_CHANGES } from "../common/job-changes.js";
import { JobsModule } from "../jobs/jobs.module.js";
import { WatchGateway } from "./watch-gateway.js";

/**
 * The read-only watch channel for people (`protocol`'s `WATCH_PATH`), and the implementation of the `JOB_CHANGES`
 * port the rounds and the trainer gateway tell job changes through. Global so that port resolves below it.
 */
@Global()
@Module({
  imports: [AuthModule, JobsModule],
  providers: [WatchGateway, { provide: JOB_CHANGES, useExisting: WatchGateway }],
  exports: [JOB_CHANGES],
})
export class WatchModule {}
