import type { LearningRateSchedule, ScoringSpec } from "@tributary/protocol";
import type { ReturnedModelView } from "../job/coordinator-views.js";
import type { RoundRecord } from "../job/round-records.js";
import type { ByzantineSpec } from "./byzantine-spec.js";
import type { DemoChainOptions } from "./demo-chain.js";
import type { MarketOptions, MarketResult } from "./demo-market.js";
import type { JobSettlement } from "./demo-settlement.js";
import type { DemoPartition } from "./demo-shards.js";
import type { OceanDemoResult } from "./ocean-summary.js";

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
  /** TRIB wei each owner asks per round it trains (on-chain sessions; default 0): paid before the split by score. */
  readonly pricePerRound?: bigint | undefined;
  /**
   * Keep the first test records (up to 1,000) as the researcher's validation set even off chain, so jobs scored on
   * it (`DemoJobOptions.scoring`) also return their best round's model; the owners' held-out shards get the rest.
   */
  readonly holdOutValidation?: boolean | undefined;
  /** Seed of the owners' training split (default "demo-train"). */
  readonly partitionSeed?: string | undefined;
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
  /**
   * On a chain: each owner also publishes its dataset on Ocean Protocol (data NFT + compute datatoken), and the
   * researcher orders each before creating a job (Ocean's contracts deployed on the local chain, or the deployment's).
   */
  readonly ocean?: boolean | undefined;
}

/** One job of a session. */
export interface DemoJobOptions {
  readonly rounds: number;
  readonly model: "mlp" | "cnn";
  readonly strategy: string;
  readonly dpEpsilon?: number | undefined;
  readonly localEpochs: number;
  readonly learningRate: number;
  /** How the learning rate moves over the rounds (absent: constant). */
  readonly learningRateSchedule?: LearningRateSchedule | undefined;
  readonly batchSize: number;
  /** Most SGD steps per trainer and round (the JobSpec's `maxLocalSteps`; absent: `localEpochs` full passes). */
  readonly maxLocalSteps?: number | undefined;
  /** Seconds a round waits for every trainer (default 600). */
  readonly roundTimeoutS?: number | undefined;
  /**
   * How contributions are scored: on chain, default GTG-Shapley on the researcher's held-out set; off chain, default
   * by examples, or on the held-out set when the session kept one (`holdOutValidation`).
   */
  readonly scoring?: ScoringSpec["method"] | undefined;
  /** FLTrust jobs: how many of the researcher's held-out records are the root dataset (default `ROOT_RECORDS`). */
  readonly rootRecords?: number | undefined;
  /** TRIB wei the researcher escrows (on-chain sessions; default 1,000 TRIB). */
  readonly reward?: bigint | undefined;
  /** On-chain sessions: after the payouts, the final model is listed, served, licensed and paid for per request. */
  readonly market?: MarketOptions | undefined;
  /** SecAgg+: every owner trains each round; t = ⌊k/2⌋ + 1 of k = the largest even number below the owners. */
  readonly secureAggregation?: boolean | undefined;
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
  /** Which model the job returns (best on the validation set, or last), with the last beside it. */
  returned?: ReturnedModelView;
  /** On-chain sessions: escrow, fee, each contributor's score, payout and claim, refund, ledger verification. */
  settlement?: JobSettlement;
  /** The market phase, when it ran: the model's listing, licence, paid requests and revenue. */
  market?: MarketResult;
  /** With `--ocean`: the owners' data NFTs and datatokens on Ocean Protocol and the researcher's orders. */
  ocean?: OceanDemoResult;
}
