import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { ChainDatasetRepository } from "../chain/chain-dataset.repository.js";
import { ChainIndexer } from "../chain/chain-indexer.js";
import type { ChainJobEntity } from "../chain/chain-job.entity.js";
import { OceanOrders } from "../chain/ocean-orders.js";
import { PaymentTokens } from "../chain/payment-tokens.js";
import { JobsService } from "./jobs.service.js";

/** Why an on-chain job is not adopted (kept in `chain_jobs.adoption_error`, retried at every poll). */
class AdoptionRefusedError extends Error {
  override name = "AdoptionRefusedError";
}

/**
 * Runs the jobs researchers create on TrainingJobs for this coordinator: every `JobCreated` the indexer reports
 * becomes a coordinator job with the same id (see `JobsService.adopt`). Refused: a job paying in a token that is
 * not allowed (`PaymentTokens`), and a job whose reward cannot cover what its datasets ask (Σ pricePerRound ×
 * rounds), and, with Ocean Protocol's contracts configured, a job naming a dataset published on Ocean whose
 * researcher holds no valid datatoken order for it (`OceanOrders`). A job whose JobSpec was not uploaded yet, or names an inactive dataset, is retried at every poll; the
 * reason is kept in `chain_jobs.adoption_error`.
 */
@Injectable()
export class ChainJobAdopter implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger("chain-jobs");
  #unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(ChainIndexer) private readonly indexer: ChainIndexer,
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(PaymentTokens) private readonly tokens: PaymentTokens,
    @Inject(ChainDatasetRepository) private readonly datasets: ChainDatasetRepository,
    @Inject(OceanOrders) private readonly ocean: OceanOrders,
  ) {}

  onApplicationBootstrap(): void {
    this.#unsubscribe = this.indexer.onJobCreated((job) => this.#adopt(job));
  }

  onModuleDestroy(): void {
    this.#unsubscribe?.();
  }

  async #adopt(chainJob: ChainJobEntity): Promise<void> {
    if (chainJob.status !== "open") return;
    await this.#checkPayment(chainJob);
    const oceanRefusal = await this.ocean.refusal(chainJob.datasetIds, chainJob.researcher);
    if (oceanRefusal !== undefined) throw new AdoptionRefusedError(oceanRefusal);
    const job = await this.jobs.adopt(chainJob);
    this.#logger.log(
      `on-chain job ${job.id} adopted: ${job.spec.name}, ${job.spec.rounds} round(s), escrow ${chainJob.reward} of ${chainJob.paymentToken}`,
    );
  }

  /** The token must be allowed and the reward must cover every dataset's price for every round. */
  async #checkPayment(chainJob: ChainJobEntity): Promise<void> {
    const allowed = await this.tokens.allowed();
    if (!allowed.has(chainJob.paymentToken.toLowerCase())) {
      throw new AdoptionRefusedError(
        `payment token ${chainJob.paymentToken} is not allowed by this coordinator (allowed: ${[...allowed].join(", ")})`,
      );
    }
    let owed = 0n;
    for (const id of chainJob.datasetIds) {
      const dataset = await this.datasets.findById(id);
      if (dataset === null) throw new AdoptionRefusedError(`dataset ${id} is not enrolled on DatasetRegistry`);
      owed += BigInt(dataset.pricePerRound) * BigInt(chainJob.rounds);
    }
    if (BigInt(chainJob.reward) < owed) {
      throw new AdoptionRefusedError(
        `reward ${chainJob.reward} cannot cover its datasets' price: Σ pricePerRound × ${chainJob.rounds} round(s) = ${owed}`,
      );
    }
  }
}
