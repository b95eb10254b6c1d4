import { Inject, Injectable, Logger, type OnModuleDestroy } from "@nestjs/common";
import {
  buildModel,
  ensureModelBackend,
  type LabelledExamples,
  parameterCount,
  setFlatWeights,
  trainSgd,
} from "@tributary/model-runtime";
import { decodeValidationSet, roundLearningRate } from "@tributary/protocol";
import { BlobStore } from "../blobs/blob-store.js";
import type { JobEntity } from "../jobs/job.entity.js";

/**
 * SGD steps of the server's update: the median (the upper one for an even count) of the steps the round's updates
 * took, localEpochs·⌈n_i / batchSize⌉ for an update of n_i examples (at least one step). FLTrust rescales every update
 * to ‖g₀‖, so g₀ must be on the trainers' scale: one pass over a 100-example root set is 4 steps of batch 32 where an
 * owner of 6,000 examples takes 188, and a first version that trained one pass shrank every update to that length
 * (58.8 % after 5 rounds against 80.1 % clean: BENCHMARKS.md, "FLTrust as a job strategy"). Cao et al. (2021) likewise give the server the clients' number of
 * local iterations. The median holds while fewer than half the updates inflate their counts (which the coordinator
 * also bounds by the datasets' enrolled record counts). A job's `maxLocalSteps` caps each update's steps, so it caps
 * the server's as well.
 */
export function rootSteps(
  numExamples: readonly number[],
  localEpochs: number,
  batchSize: number,
  maxLocalSteps = Number.POSITIVE_INFINITY,
): number {
  const steps = numExamples.map((n) => localEpochs * Math.ceil(n / batchSize)).sort((a, b) => a - b);
  return Math.max(1, Math.min(steps[Math.floor(steps.length / 2)] ?? 1, maxLocalSteps));
}

interface RootTrainer {
  readonly model: ReturnType<typeof buildModel>;
  readonly examples: LabelledExamples;
  /** Trainings of this job, one after another (they share the model). */
  queue: Promise<unknown>;
}

/**
 * FLTrust's server updates: for a job whose strategy is `fltrust`, the coordinator trains the round's input model
 * on the researcher's root dataset (`strategy.rootDatasetCid`, `encodeValidationSet`'s format) with the job's
 * hyper-parameters as a trainer would (batch size, the round's learning rate under the job's schedule, as many steps
 * as the round's median update: `rootSteps`; plain SGD on `@tributary/model-runtime`, no FedProx term and no DP
 * noise: the data is the server's own) and returns the change it made. The shuffles are seeded by job and round, so a coordinator that aggregates a round
 * again after a restart trains the same update. One model per job, kept for its later rounds and released when the
 * job ends.
 */
@Injectable()
export class RootUpdates implements OnModuleDestroy {
  readonly #logger = new Logger("fltrust");
  readonly #trainers = new Map<string, Promise<RootTrainer>>();

  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

  /**
   * g₀ of round `round` from `global` (the round's input model), or undefined when the job is not FLTrust.
   * `numExamples` are the round's updates' example counts: the server takes as many SGD steps as the median
   * update did, at most the job's `maxLocalSteps` (`rootSteps`).
   */
  async serverUpdate(
    job: JobEntity,
    round: number,
    global: Float32Array,
    numExamples: readonly number[],
  ): Promise<Float32Array | undefined> {
    const strategy = job.spec.strategy;
    if (strategy.name !== "fltrust") return undefined;
    const trainer = await this.#trainer(job, strategy.rootDatasetCid);
    const { localEpochs, batchSize, maxLocalSteps, learningRate, learningRateSchedule, rounds } = job.spec;
    const steps = rootSteps(numExamples, localEpochs, batchSize, maxLocalSteps);
    const train = async () => {
      setFlatWeights(trainer.model, global);
      const trained = await trainSgd(trainer.model, trainer.examples, {
        steps,
        batchSize,
        learningRate: roundLearningRate(learningRate, learningRateSchedule, round, rounds),
        seed: `${job.id}/${round}/fltrust-root`,
      });
      const update = new Float32Array(global.length);
      for (let j = 0; j < global.length; j++) update[j] = (trained[j] as number) - (global[j] as number);
      const norm = Math.sqrt(update.reduce((sum, value) => sum + value * value, 0));
      this.#logger.log(
        `job ${job.id} round ${round}: server update of ${steps} SGD steps on ${trainer.examples.count} root examples, norm ${norm.toPrecision(4)}`,
      );
      return update;
    };
    const result = trainer.queue.then(train);
    trainer.queue = result.catch(() => undefined);
    return result;
  }

  #trainer(job: JobEntity, cid: string): Promise<RootTrainer> {
    let trainer = this.#trainers.get(job.id);
    if (trainer === undefined) {
      trainer = this.blobs.get(cid).then(async (bytes) => {
        const set = decodeValidationSet(bytes);
        const numClasses = set.labels.reduce((max, label) => Math.max(max, label), 0) + 1;
        await ensureModelBackend();
        const model = buildModel(job.spec.model);
        this.#logger.log(
          `job ${job.id}: root dataset ${cid} loaded (${set.count} examples, ${parameterCount(model)} parameters)`,
        );
        return { model, examples: { ...set, numClasses, featureScale: 1 }, queue: Promise.resolve() };
      });
      this.#trainers.set(job.id, trainer);
      trainer.catch(() => this.#trainers.delete(job.id));
    }
    return trainer;
  }

  /** Frees a finished job's model. */
  async release(jobId: string): Promise<void> {
    const trainer = this.#trainers.get(jobId);
    this.#trainers.delete(jobId);
    const ready = await trainer?.catch(() => undefined);
    if (ready !== undefined) await ready.queue.then(() => ready.model.dispose());
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.#trainers.keys()].map((jobId) => this.release(jobId)));
  }
}
