import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { ChainIndexer } from "../chain/chain-indexer.js";
import type { ChainJobEntity } from "../chain/chain-job.entity.js";
import { JobsService } from "./jobs.service.js";

/**
 * Runs the jobs researchers create on TrainingJobs for this coordinator: every `JobCreated` the indexer reports
 * becomes a coordinator job with the same id (see `JobsService.adopt`). A job whose JobSpec was not uploaded yet,
 * or names an inactive dataset, is retried at every poll and its reason kept in `chain_jobs.adoption_error`.
 */
@Injectable()
export class ChainJobAdopter implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger("chain-jobs");
  #unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(ChainIndexer) private readonly indexer: ChainIndexer,
    @Inject(JobsService) private readonly jobs: JobsService,
  ) {}

  onApplicationBootstrap(): void {
    this.#unsubscribe = this.indexer.onJobCreated((job) => this.#adopt(job));
  }

  onModuleDestroy(): void {
    this.#unsubscribe?.();
  }

  async #adopt(chainJob: ChainJobEntity): Promise<void> {
    if (chainJob.status !== "open") return;
    const job = await this.jobs.adopt(chainJob);
    this.#logger.log(
      `on-chain job ${job.id} adopted: ${job.spec.name}, ${job.spec.rounds} round(s), escrow ${chainJob.reward} of ${chainJob.paymentToken}`,
    );
  }
}
