import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SimulatedEnclave } from "@tributary/enclave-compute";
import {
  type Bytes32,
  type DatasetId,
  type DatasetManifest,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
} from "@tributary/protocol";
import { Wallet } from "ethers";
import { EvaluationAllowance, type OwnerDisclosurePolicy } from "../src/agent/evaluation-allowance.js";
import type { JobAdmission } from "../src/agent/job-admission.js";
import { DatasetPrivacyGuard } from "../src/agent/privacy-guard.js";
import { TrainerAgent } from "../src/agent/trainer-agent.js";
import type { AgentEvent } from "../src/agent/trainer-agent-options.js";
import type { Dataset } from "../src/dataset.js";
import { LyingCoordinator } from "./lying-coordinator.js";

/** Features per record of the fixture's data, and its classes. */
export const FEATURES = 4;
export const CLASSES = 3;

/**
 * A dataset of `count` records whose `features` and `labels` count every time they are read: the agent reads no
 * record unless `reads()` grows. Labels are `labelOf(i)`; features a fixed pattern.
 */
export function watchedDataset(
  count: number,
  labelOf: (index: number) => number,
): { dataset: Dataset; reads: () => number } {
  const features = Float32Array.from({ length: count * FEATURES }, (_, i) => ((i * 7) % 11) / 11);
  const labels = Int32Array.from({ length: count }, (_, i) => labelOf(i));
  let reads = 0;
  const dataset: Dataset = {
    get features() {
      reads++;
      return features;
    },
    get labels() {
      reads++;
      return labels;
    },
    featureShape: [FEATURES],
    numClasses: CLASSES,
    count,
    featureScale: 1,
  };
  return { dataset, reads: () => reads };
}

/** A job spec for the fixture's data: one softmax layer (15 parameters: a 4×3 kernel, then 3 biases). */
export function fixtureSpec(overrides: Partial<JobSpecInput> = {}): JobSpec {
  return JobSpecSchema.parse({
    name: "fixture",
    model: {
      inputShape: [FEATURES],
      layers: [{ type: "dense", units: CLASSES, activation: "softmax" }],
      loss: "sparseCategoricalCrossentropy",
    },
    datasetIds: ["1"],
    rounds: 2,
    learningRate: 0.1,
    batchSize: 8,
    ...overrides,
  });
}

/** A real trainer agent with watched datasets (not started). */
export interface OwnerAgent {
  readonly agent: TrainerAgent;
  readonly privacy: DatasetPrivacyGuard;
  readonly events: AgentEvent[];
  readonly stateDir: string;
  /** Reads of the training records and of the held-out records. */
  readonly trainReads: () => number;
  readonly evalReads: () => number;
}

export interface OwnerAgentOptions {
  readonly coordinatorUrl: string;
  readonly wallet?: Wallet;
  readonly datasetId?: string;
  /** The enrolled commitment and the manifest sent after login (default: a commitment the lying coordinator serves). */
  readonly commitment?: Bytes32;
  readonly manifest?: DatasetManifest;
  readonly records?: number;
  readonly evalLabels?: readonly number[];
  readonly budgetEpsilon?: number;
  readonly allowNonPrivate?: boolean;
  readonly disclosure?: OwnerDisclosurePolicy;
  readonly admission?: JobAdmission;
}

/** The commitment the lying coordinator serves for the fixture's dataset. */
const LYING_COMMITMENT = `0x${"c0".repeat(32)}` as Bytes32;

/** A real trainer agent for dataset `datasetId` of the coordinator at `coordinatorUrl`, over watched datasets. */
export async function ownerAgent(options: OwnerAgentOptions): Promise<OwnerAgent> {
  const datasetId = (options.datasetId ?? "1") as DatasetId;
  const stateDir = await mkdtemp(path.join(tmpdir(), "tributary-owner-"));
  const train = watchedDataset(options.records ?? 64, (i) => i % CLASSES);
  const evalLabels = options.evalLabels ?? [0, 1, 2];
  const evaluation = watchedDataset(evalLabels.length, (i) => evalLabels[i] as number);
  const privacy = await DatasetPrivacyGuard.open(stateDir, datasetId, {
    epsilon: options.budgetEpsilon ?? 10,
    delta: 1e-5,
    allowNonPrivate: options.allowNonPrivate ?? false,
    microbatchSize: 4,
  });
  const events: AgentEvent[] = [];
  const agent = new TrainerAgent({
    coordinatorUrl: options.coordinatorUrl,
    wallet: options.wallet ?? (Wallet.createRandom() as unknown as Wallet),
    datasetId,
    train: train.dataset,
    evaluation: evaluation.dataset,
    commitment: options.commitment ?? LYING_COMMITMENT,
    // The lying coordinator takes any manifest; this one is not what `commitment` hashes, and it does not check.
    manifest: options.manifest ?? {
      version: 1,
      format: "jsonl",
      recordCount: train.dataset.count,
      featureShape: [1],
      numClasses: 1,
      labelHistogram: [train.dataset.count],
      shards: [{ name: "records.jsonl", role: "records", sha256: "0".repeat(64), bytes: 0 }],
    },
    enclave: new SimulatedEnclave({ warn: () => {} }),
    privacy,
    disclosure: await EvaluationAllowance.open(stateDir, datasetId, options.disclosure ?? {}),
    ...(options.admission === undefined ? {} : { admission: options.admission }),
    onEvent: (event) => events.push(event),
  });
  return { agent, privacy, events, stateDir, trainReads: train.reads, evalReads: evaluation.reads };
}

export interface OwnerFixture extends OwnerAgent {
  readonly coordinator: LyingCoordinator;
  stop(): Promise<void>;
}

/** A real trainer agent for dataset `datasetId`, logged in to a lying coordinator. */
export async function ownerAgainstLyingCoordinator(
  options: Omit<OwnerAgentOptions, "coordinatorUrl" | "commitment" | "manifest" | "wallet"> & {
    chainId?: number;
    verifyingContract?: string;
  },
): Promise<OwnerFixture> {
  const coordinator = await LyingCoordinator.start({
    datasetId: options.datasetId ?? "1",
    commitment: LYING_COMMITMENT,
    ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
    ...(options.verifyingContract === undefined ? {} : { verifyingContract: options.verifyingContract }),
  });
  const owner = await ownerAgent({ ...options, coordinatorUrl: coordinator.url });
  await owner.agent.start().catch(async (error: unknown) => {
    owner.agent.stop();
    await coordinator.close();
    throw error;
  });
  return {
    ...owner,
    coordinator,
    stop: async () => {
      owner.agent.stop();
      await coordinator.close();
    },
  };
}
