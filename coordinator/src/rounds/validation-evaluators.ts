import { Inject, Injectable, Logger, type OnModuleDestroy } from "@nestjs/common";
import type { ValidationLoss } from "@tributary/aggregation";
import { createThreadedValidationEvaluator, type ValidationEvaluator } from "@tributary/model-runtime";
import { decodeValidationSet } from "@tributary/protocol";
import { BlobStore } from "../blobs/blob-store.js";
import type { JobEntity } from "../jobs/job.entity.js";

/**
 * The validation-loss functions contribution scoring uses: one model per job, built once from the job's model
 * spec with the researcher's held-out set (a blob in `encodeValidationSet`'s format), kept for the job's later
 * rounds and released at shutdown. Only jobs scored by leave-one-out or GTG-Shapley have one; it also measures each
 * round's output model, from which the job's returned model is chosen (`returned-model.ts`). Each job's model
 * lives on a worker thread of its own (`createThreadedValidationEvaluator`): scoring a CNN round takes seconds of
 * forward passes, which on the event loop would stall sockets, `/health` and the job leases meanwhile.
 */
@Injectable()
export class ValidationEvaluators implements OnModuleDestroy {
  readonly #logger = new Logger("validation");
  readonly #evaluators = new Map<string, Promise<ValidationEvaluator>>();

  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

  /** The job's validation loss, or undefined when its scoring needs no validation set. */
  async lossFor(job: JobEntity): Promise<ValidationLoss | undefined> {
    const evaluate = await this.evaluatorFor(job);
    return evaluate === undefined ? undefined : async (weights) => (await evaluate(weights)).loss;
  }

  /**
   * Loss and accuracy of weights on the job's validation set (each round's output model is measured with it, and
   * the job returns the best), or undefined when the job has none.
   */
  async evaluatorFor(
    job: JobEntity,
  ): Promise<((weights: Float32Array) => Promise<{ loss: number; accuracy: number }>) | undefined> {
    const scoring = job.spec.scoring;
    if (scoring.method === "examples") return undefined;
    let evaluator = this.#evaluators.get(job.id);
    if (evaluator === undefined) {
      evaluator = this.blobs
        .get(scoring.validationSetCid)
        .then((bytes) => createThreadedValidationEvaluator(job.spec.model, decodeValidationSet(bytes)));
      this.#evaluators.set(job.id, evaluator);
      evaluator.then(
        () =>
          this.#logger.log(`job ${job.id}: validation set ${scoring.validationSetCid} loaded for ${scoring.method}`),
        () => this.#evaluators.delete(job.id),
      );
    }
    const ready = await evaluator;
    return async (weights) => {
      const { loss, accuracy } = await ready.evaluate(weights);
      return { loss, accuracy };
    };
  }

  /** Frees a finished job's model. */
  async release(jobId: string): Promise<void> {
    const evaluator = this.#evaluators.get(jobId);
    this.#evaluators.delete(jobId);
    if (evaluator !== undefined) (await evaluator.catch(() => undefined))?.dispose();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.#evaluators.keys()].map((jobId) => this.release(jobId)));
  }
}
