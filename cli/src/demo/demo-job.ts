import { type JobId, type JobSpecInput, prepareJobSpec } from "@tributary/protocol";
import type { Dataset } from "@tributary/trainer-agent";
import { parseEther } from "ethers";
import type { Output } from "../chain/output.js";
import type { CoordinatorClient } from "../job/coordinator-client.js";
import { createJob } from "../job/create-job.js";

import { encodeValidationRecords } from "../job/validation-records.js";
import type { DemoChain } from "./demo-chain.js";
import { DEMO_MODELS } from "./demo-models.js";
import type { DemoJobOptions } from "./demo-session-options.js";
import { demoStrategy } from "./demo-strategy.js";

const DEFAULT_REWARD = parseEther("1000");

/** The researcher's JobSpec of a demo job: every owner's dataset, each round waiting for all of them. */
export function demoJobSpec(
  job: DemoJobOptions,
  session: {
    readonly dataset: string;
    readonly clients: number;
    readonly datasetIds: readonly string[];
    /** FLTrust's root dataset, uploaded by the researcher (`fltrust` jobs only). */
    readonly rootDatasetCid?: string;
  },
): JobSpecInput {
  return {
    name: `demo: ${job.model} on ${session.dataset}`,
    model: DEMO_MODELS[job.model],
    datasetIds: [...session.datasetIds],
    rounds: job.rounds,
    clients: { fraction: 1, min: session.clients, max: session.clients },
    strategy: demoStrategy(job.strategy, session.clients, session.rootDatasetCid),
    localEpochs: job.localEpochs,
    batchSize: job.batchSize,
    ...(job.maxLocalSteps === undefined ? {} : { maxLocalSteps: job.maxLocalSteps }),
    learningRate: job.learningRate,
    ...(job.learningRateSchedule === undefined ? {} : { learningRateSchedule: job.learningRateSchedule }),
    dp:
      job.dpEpsilon === undefined
        ? { mode: "off" }
        : { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: job.dpEpsilon, delta: 1e-5 },
    roundTimeoutS: job.roundTimeoutS ?? 600,
    ...(job.secureAggregation === true ? { secureAggregation: demoSecureAggregation(session.clients) } : {}),
  };
}

/**
 * The demo's SecAgg+ parameters for n owners: k the largest even number below n (the complete graph when n is odd),
 * t = ⌊k/2⌋ + 1, each coordinate of an update clipped to ±0.5 (one local epoch of SGD moves a weight far less).
 */
export function demoSecureAggregation(owners: number): NonNullable<JobSpecInput["secureAggregation"]> {
  const neighbours = owners % 2 === 0 ? owners - 2 : owners - 1;
  return { threshold: Math.floor(neighbours / 2) + 1, neighbours, quantisation: { clip: 0.5 } };
}

/**
 * The researcher's side, as `tributary job create` does it: the JobSpec (scored on the held-out records shaped
 * for the model, unless by examples) checked, uploaded and escrowed on TrainingJobs; waits for the adoption.
 */
export async function createDemoJobOnChain(input: {
  readonly out: Output;
  readonly chain: DemoChain;
  /** The researcher's session with the coordinator. */
  readonly coordinator: CoordinatorClient;
  readonly spec: JobSpecInput;
  readonly job: DemoJobOptions;
  /** The researcher's held-out records (absent when the session kept none). */
  readonly validation: Dataset | undefined;
}): Promise<JobId> {
  const { chain, job } = input;
  const method = job.scoring ?? "gtg-shapley";
  if (method !== "examples" && input.validation === undefined) throw new Error("this session kept no validation set");
  const prepared = prepareJobSpec({
    spec: { ...input.spec, scoring: { method } },
    validationSet:
      method === "examples" ? undefined : encodeValidationRecords(input.validation as Dataset, DEMO_MODELS[job.model]),
  });
  const created = await createJob(input.out, await chain.researcherChain(), input.coordinator, {
    prepared,
    reward: job.reward ?? DEFAULT_REWARD,
    token: await chain.paymentToken(),
    approve: true,
  });
  return created.jobId;
}
