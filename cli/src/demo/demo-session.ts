import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { DatasetIdSchema, type JobId, type JobSpecInput, type ScoringSpec } from "@tributary/protocol";
import { type Dataset, loadDataset } from "@tributary/trainer-agent";
import { parseEther, Wallet } from "ethers";
import { z } from "zod";
import { Output } from "../chain/output.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { JobViewSchema } from "../job/coordinator-views.js";
import { createJob } from "../job/create-job.js";
import { prepareJobSpec } from "../job/job-spec-file.js";
import { ProgressView } from "../job/progress-view.js";
import type { RoundRecord } from "../job/round-records.js";
import { encodeValidationRecords } from "../job/validation-records.js";
import { watchJob } from "../job/watch-job.js";
import type { ByzantineSpec } from "./byzantine-spec.js";
import { DemoChain, type DemoChainOptions } from "./demo-chain.js";
import { DEMO_MODELS } from "./demo-models.js";
import { waitFor } from "./demo-rounds.js";
import { type DemoOwner, type JobSettlement, settleJob } from "./demo-settlement.js";
import { type DemoPartition, type Shards, writeShards } from "./demo-shards.js";
import { demoStrategy } from "./demo-strategy.js";
import { quietLogger } from "./quiet-logger.js";
import { type TrainerEvent, TrainerProcess } from "./trainer-processes.js";

/** What the coordinator answers about a dataset (enrolled over REST, or indexed from DatasetRegistry). */
const EnrolledSchema = z.object({ id: DatasetIdSchema });

export type { RoundRecord } from "../job/round-records.js";

/** What stays fixed for the life of a session: the data, its owners and their trainer agents. */
export interface DemoSessionOptions {
  readonly clients: number;
  readonly partition: DemoPartition;
  readonly dataset: string;
  readonly dataDir: string;
  readonly port: number;
  readonly interactive: boolean;
  /** The local batch size jobs will use: every owner gets at least two batches of records. */
  readonly batchSize: number;
  /** Total ε each owner's trainer agent lets its dataset spend (δ = 1e-5), across all jobs of the session. */
  readonly budgetEpsilon: number;
  /** Whether the owners also train for jobs without differential privacy. */
  readonly allowNonPrivate: boolean;
  /** Robustness testing: the first `count` trainer agents send attacked updates. */
  readonly byzantine?: ByzantineSpec | undefined;
  /** Records per clipped microbatch in DP-SGD (the trainer's default when omitted). */
  readonly microbatchSize?: number | undefined;
  /**
   * Held-out evaluations each owner allows per job. The demo's owners disclose held-out loss and accuracy (to 4
   * places) with every update so the researcher can watch each round's input model, which costs one evaluation per
   * round, plus the job's final evaluation: give at least the longest job's rounds + 1.
   */
  readonly evaluationsPerJob: number;
  /**
   * The marketplace: datasets enrolled and jobs created, escrowed, anchored and paid out on this chain. Absent:
   * off-chain (datasets and jobs over the coordinator's REST API, no payouts), as the federated benchmark runs.
   */
  readonly chain?: DemoChainOptions | undefined;
}

/** One job of a session. */
export interface DemoJobOptions {
  readonly rounds: number;
  readonly model: "mlp" | "cnn";
  readonly strategy: string;
  readonly dpEpsilon?: number | undefined;
  readonly localEpochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Seconds a round waits for every trainer (default 600). */
  readonly roundTimeoutS?: number | undefined;
  /** How contributions are scored (on-chain sessions; default GTG-Shapley on the researcher's held-out set). */
  readonly scoring?: ScoringSpec["method"] | undefined;
  /** TRIB wei the researcher escrows (on-chain sessions; default 1,000 TRIB). */
  readonly reward?: bigint | undefined;
}

export interface DemoResult {
  jobId: string;
  rounds: number;
  clients: number;
  accuracy: number | null;
  loss: number | null;
  epsilonSpent: number | null;
  backend: string;
  database: string;
  durationS: number;
  byzantine?: ByzantineSpec;
  perRound: RoundRecord[];
  /** On-chain sessions: escrow, fee, each contributor's score, payout and claim, refund, ledger verification. */
  settlement?: JobSettlement;
}

export const DEFAULT_REWARD = parseEther("1000");

/**
 * A coordinator on embedded defaults with one trainer agent process per data owner, ready to run jobs one
 * after another. On a chain, each owner has its own account (its trainer agent's key), enrols its shard on
 * DatasetRegistry by its manifest commitment and is paid from each job's escrow; off-chain, shards are enrolled
 * over REST.
 */
export class DemoSession {
  #view: ProgressView;
  readonly #owners: DemoOwner[] = [];
  /** The researcher of off-chain jobs (on a chain it is the chain's researcher account). */
  readonly #offChainResearcher = Wallet.createRandom();

  private constructor(
    readonly coordinator: Coordinator,
    readonly chain: DemoChain | undefined,
    readonly trainers: TrainerProcess[],
    private readonly shards: Shards,
    /** Training backend each trainer agent reported, by index (filled in as they start). */
    private readonly backends: ReadonlyMap<number, string>,
    private readonly options: DemoSessionOptions,
    private readonly write: (text: string) => void,
    view: ProgressView,
  ) {
    this.#view = view;
  }

  static async start(options: DemoSessionOptions, write: (text: string) => void): Promise<DemoSession> {
    const view = new ProgressView(options.interactive, write);
    const shards = await writeShards({ ...options, holdOutValidation: options.chain !== undefined }, view);
    const chain = options.chain === undefined ? undefined : await DemoChain.open(options.chain);
    if (chain !== undefined) view.note(describeChain(chain));
    // Each run keeps its own coordinator state beside its shards: a demo's trainers live and die with the run,
    // so the jobs of an earlier run must not linger in this one.
    let session: DemoSession | undefined;
    const note = (text: string) => (session === undefined ? view.note(text) : session.#view.note(text));
    let coordinator: Coordinator;
    try {
      coordinator = await createCoordinator(
        {
          port: options.port,
          dataDir: path.join(shards.runDir, "coordinator"),
          ...(chain === undefined
            ? {}
            : {
                // The demo's trainers run on the TEE simulator: development mode, asked for explicitly.
                mode: "development" as const,
                ...chain.coordinatorConfig(),
              }),
        },
        { logger: quietLogger(note) },
      );
    } catch (error) {
      await chain?.close();
      throw error;
    }
    view.note(
      `coordinator: ${coordinator.url} (REST docs ${coordinator.url}/docs), database ${coordinator.database}, mode ${coordinator.config.mode}: TEE attestations are SIMULATED`,
    );
    const connected = new Set<number>();
    const backends = new Map<number, string>();
    session = new DemoSession(coordinator, chain, [], shards, backends, options, write, view);
    try {
      for (let index = 0; index < options.clients; index++) {
        await session.#addOwner(index, (i, event) => {
          if (event.type === "ready") backends.set(i, String(event.backend));
          if (event.type === "connected") connected.add(i);
          if (["error", "refused", "rejected", "job-refused"].includes(event.type)) {
            note(`  trainer ${i + 1} ${event.type}: ${String(event.message ?? "")}`);
          }
        });
      }
      await waitFor(() => connected.size === options.clients, 180_000, "trainer agents to connect", session.trainers);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /**
   * Enrols owner `index`'s shard by its manifest commitment (on DatasetRegistry from the owner's own account, or
   * over REST off-chain) and starts the owner's trainer agent process with the owner's key.
   */
  async #addOwner(index: number, onEvent: (index: number, event: TrainerEvent) => void) {
    const options = this.options;
    const files = this.shards.train[index] as { images: string; labels: string };
    const evalFiles = this.shards.test[index] as { images: string; labels: string };
    const { commitment, dataset } = await loadDataset({ format: "idx", parts: [files], numClasses: 10 });
    let owner: DemoOwner;
    if (this.chain === undefined) {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      // The owner signs in (EIP-4361) and enrols its own dataset: the coordinator records it as the owner.
      const client = await CoordinatorClient.signIn(this.coordinator.url, wallet, this.coordinator.config.chainId);
      const enrolled = await client.postJson(
        "/datasets",
        {
          owner: wallet.address,
          name: `owner ${index + 1} shard`,
          commitment,
          recordCount: dataset.count,
          epsilonBudget: options.budgetEpsilon,
          deltaBudget: 1e-5,
        },
        EnrolledSchema,
        "enrolled dataset",
      );
      owner = { wallet, datasetId: enrolled.id };
    } else {
      const wallet = await this.chain.newOwner();
      const datasetId = await this.chain.enrolDataset(wallet, {
        commitment,
        metadataUri: `tributary-demo:owner-${index + 1}`,
        epsilon: options.budgetEpsilon,
        delta: 1e-5,
      });
      this.#view.note(
        `owner ${index + 1} (${wallet.address}) enrolled dataset ${datasetId} on DatasetRegistry: ${dataset.count} records, commitment ${commitment}, ε ${options.budgetEpsilon}, δ 1e-5`,
      );
      // The trainer agent checks its commitment against the coordinator's view of the dataset, and logs in as
      // its on-chain owner: both need the coordinator to have indexed the enrolment first.
      await new CoordinatorClient(this.coordinator.url).waitFor(
        `/datasets/${datasetId}`,
        EnrolledSchema,
        `the coordinator to index dataset ${datasetId}${this.chain.local || this.chain.confirmations === 0 ? "" : ` (it reads blocks with ${this.chain.confirmations} confirmations: a node that mines only on transactions needs --confirmations 0)`}`,
        120_000,
      );
      owner = { wallet, datasetId };
    }
    this.#owners.push(owner);
    const attack =
      options.byzantine !== undefined && index < options.byzantine.count ? options.byzantine.attack : undefined;
    this.trainers.push(
      new TrainerProcess({
        index,
        privateKey: owner.wallet.privateKey,
        args: [
          "--coordinator",
          this.coordinator.url,
          "--dataset-id",
          owner.datasetId,
          "--format",
          "idx",
          "--data",
          files.images,
          "--labels",
          files.labels,
          "--eval-data",
          evalFiles.images,
          "--eval-labels",
          evalFiles.labels,
          "--state-dir",
          path.join(this.shards.runDir, `owner-${index + 1}`),
          "--budget-epsilon",
          String(options.budgetEpsilon),
          ...(options.allowNonPrivate ? ["--allow-non-private"] : []),
          ...(options.microbatchSize === undefined ? [] : ["--microbatch-size", String(options.microbatchSize)]),
          "--update-metrics",
          "loss,accuracy,evalLoss,evalAccuracy",
          "--evaluations",
          String(options.evaluationsPerJob),
          ...(await this.#chainArgs()),
        ],
        attack,
        onEvent,
        onLine: (i, line) => this.#view.note(`  trainer ${i + 1}: ${line}`),
      }),
    );
  }

  /**
   * On a chain, each owner's agent checks every job's payment token and escrow there itself: the RPC endpoint and
   * the deployment (written once to the run directory), never the coordinator's word.
   */
  async #chainArgs(): Promise<string[]> {
    if (this.chain === undefined) return [];
    const file = path.join(this.shards.runDir, "deployment.json");
    await writeFile(file, JSON.stringify(this.chain.deployment));
    return ["--rpc", this.chain.rpcUrl, "--deployment", file];
  }

  /**
   * Launches one job, shows its rounds as they finish and returns its metrics once it completes. On a chain the
   * researcher uploads the JobSpec (and the validation set it scores with), creates and funds the job on
   * TrainingJobs and the coordinator adopts it; once the payouts are finalised every owner claims, the researcher
   * reclaims the rest and the ledger is verified against the chain. Off-chain the job is created over REST.
   */
  async runJob(job: DemoJobOptions): Promise<DemoResult> {
    const started = performance.now();
    const base = this.coordinator.url;
    this.#view = new ProgressView(this.options.interactive, this.write);
    const spec: JobSpecInput = {
      name: `demo: ${job.model} on ${this.options.dataset}`,
      model: DEMO_MODELS[job.model],
      datasetIds: this.#owners.map((owner) => owner.datasetId),
      rounds: job.rounds,
      clients: { fraction: 1, min: this.options.clients, max: this.options.clients },
      strategy: demoStrategy(job.strategy, this.options.clients),
      localEpochs: job.localEpochs,
      batchSize: job.batchSize,
      learningRate: job.learningRate,
      dp:
        job.dpEpsilon === undefined
          ? { mode: "off" }
          : { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: job.dpEpsilon, delta: 1e-5 },
      roundTimeoutS: job.roundTimeoutS ?? 600,
    };
    const researcher = await this.#researcher();
    const jobId =
      this.chain === undefined
        ? (await researcher.postJson("/jobs", spec, JobViewSchema, "job")).id
        : await this.#createOnChain(researcher, spec, job);
    this.#view.note(
      `job ${jobId}: ${job.rounds} rounds of ${spec.strategy?.name ?? "fedavg"}, ${job.model}, ${job.dpEpsilon === undefined ? "no differential privacy" : `DP-SGD to ε = ${job.dpEpsilon} (δ = 1e-5) per dataset`}${spec.scoring === undefined ? "" : `, contributions scored by ${spec.scoring.method}`}`,
    );

    const outcome = await watchJob({
      coordinator: new CoordinatorClient(base),
      jobId,
      sink: this.#view,
      chain:
        this.chain === undefined ? undefined : { provider: this.chain.provider, trainingJobs: this.chain.trainingJobs },
      pollMs: 250,
      abort: () => (this.trainers.every((t) => t.exitedCode !== undefined) ? "every trainer agent exited" : undefined),
    });
    if (outcome.status !== "completed") throw new Error(`job ${jobId} ${outcome.status}: ${outcome.reason ?? ""}`);
    const byzantine = this.options.byzantine;
    const settlement =
      this.chain === undefined
        ? undefined
        : await settleJob({
            coordinatorUrl: base,
            chain: this.chain,
            jobId,
            owners: this.#owners,
            researcher,
            out: this.#output(),
          });
    return {
      jobId,
      rounds: job.rounds,
      clients: this.options.clients,
      accuracy: outcome.accuracy,
      loss: outcome.loss,
      epsilonSpent: outcome.epsilonSpent,
      backend: [...new Set(this.backends.values())].join(",") || "unknown",
      database: this.coordinator.database,
      durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
      ...(byzantine === undefined || byzantine.count === 0 ? {} : { byzantine }),
      perRound: [...outcome.perRound],
      ...(settlement === undefined ? {} : { settlement }),
    };
  }

  /**
   * A fresh session of the researcher (EIP-4361 sign-in with its key; off-chain a key of this session): it creates
   * jobs and uploads validation sets, and reads the job's models and blobs to verify the ledger.
   */
  #researcher(): Promise<CoordinatorClient> {
    const signer = this.chain?.researcher ?? this.#offChainResearcher;
    return CoordinatorClient.signIn(this.coordinator.url, signer, this.coordinator.config.chainId);
  }

  /** Where the researcher's commands report what they spend and send: the demo's own lines. */
  #output(): Output {
    return new Output(false, (text) => this.#view.note(text.replace(/\n$/, "")), false);
  }

  /**
   * The researcher's side, as `tributary job create` does it: the JobSpec (scored on the held-out records shaped
   * for the model, unless by examples) checked, uploaded and escrowed on TrainingJobs; waits for the adoption.
   */
  async #createOnChain(coordinator: CoordinatorClient, spec: JobSpecInput, job: DemoJobOptions): Promise<JobId> {
    const chain = this.chain as DemoChain;
    const method = job.scoring ?? "gtg-shapley";
    const records = this.shards.validation;
    if (method !== "examples" && records === undefined) throw new Error("this session kept no validation set");
    const prepared = prepareJobSpec({
      spec: { ...spec, scoring: { method } },
      validationSet:
        method === "examples" ? undefined : encodeValidationRecords(records as Dataset, DEMO_MODELS[job.model]),
    });
    const created = await createJob(this.#output(), await chain.researcherChain(), coordinator, {
      prepared,
      reward: job.reward ?? DEFAULT_REWARD,
      token: await chain.paymentToken(),
      approve: true,
    });
    return created.jobId;
  }

  /** Stops the trainer agents, then the coordinator, then the chain. */
  async close(): Promise<void> {
    await Promise.all(this.trainers.map((trainer) => trainer.stop()));
    await this.coordinator.close();
    await this.chain?.close();
  }
}

function describeChain(chain: DemoChain): string {
  const { contracts } = chain.deployment;
  return (
    `chain: ${chain.local ? "local Hardhat/EDR node" : "JSON-RPC"} ${chain.rpcUrl} (chain id ${chain.chainId}), ` +
    `TrainingJobs ${contracts.TrainingJobs}, DatasetRegistry ${contracts.DatasetRegistry}, TRIB ${contracts.TributaryToken}; ` +
    `coordinator account ${chain.coordinatorWallet.address}`
  );
}
