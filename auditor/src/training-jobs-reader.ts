import { trainingJobsAbi } from "@tributary/contracts";
import { connectTrainingJobs, type TrainingJobs, type TrainingJobsTypes } from "@tributary/contracts/typed";
import { type Address, AddressSchema, type Bytes32, Bytes32Schema, parseInput } from "@tributary/protocol";
import { type EventFragment, Interface, type Log, type Provider } from "ethers";
import { z } from "zod";
import { TrainingJobsNotFoundError } from "./ledger-errors.js";

/** `ITrainingJobs.JobStatus`, by its enum value. */
export const JOB_STATUS = ["None", "Open", "Running", "Finalized", "Cancelled"] as const;
export type JobStatusName = (typeof JOB_STATUS)[number];

const uint = z.coerce.bigint().nonnegative();

/** `ITrainingJobs.Job` as `getJob` returns it: parsed, because chain reads are a boundary too. */
const OnChainJobSchema = z.object({
  coordinator: AddressSchema,
  rounds: uint,
  roundsAnchored: uint,
  status: uint.refine((value) => value < BigInt(JOB_STATUS.length), "must be a JobStatus value"),
  lastActivityAt: uint,
  accepted: z.boolean(),
  paymentToken: AddressSchema,
  claimDeadline: uint,
  feeBps: uint,
  staleJobTimeout: uint,
  payoutRoot: Bytes32Schema,
  payoutTotal: uint,
  claimed: uint,
  researcher: AddressSchema,
  escrow: uint,
  fee: uint,
  refunded: uint,
  modelSpecHash: Bytes32Schema,
});

export interface OnChainJob {
  readonly coordinator: Address;
  readonly researcher: Address;
  readonly status: JobStatusName;
  readonly rounds: number;
  readonly roundsAnchored: number;
  readonly escrow: bigint;
  readonly feeBps: bigint;
  /** Zero until finalised. */
  readonly payoutRoot: Bytes32;
  readonly payoutTotal: bigint;
  readonly fee: bigint;
  readonly claimed: bigint;
  readonly refunded: bigint;
  /** Unix seconds; zero until finalised. */
  readonly claimDeadline: bigint;
  readonly paymentToken: Address;
  readonly modelSpecHash: Bytes32;
  /** Whether the coordinator accepted the job (`acceptJob`): from then on it is cancellable only once stale. */
  readonly accepted: boolean;
  /** When the job was created, accepted or last anchored (unix seconds). */
  readonly lastActivityAt: bigint;
  /** Seconds without activity after which an accepted or running job may be cancelled (fixed at creation). */
  readonly staleJobTimeout: bigint;
}

export interface OnChainRound {
  readonly updatesRoot: Bytes32;
  readonly modelHash: Bytes32;
}

const RoundSchema = z.object({ updatesRoot: Bytes32Schema, modelHash: Bytes32Schema });

/** `RoundAnchored(jobId, round, updatesRoot, modelHash)` as a transaction emitted it, parsed. */
const RoundAnchoredSchema = z.object({
  jobId: uint,
  round: uint,
  updatesRoot: Bytes32Schema,
  modelHash: Bytes32Schema,
});
export type RoundAnchored = z.infer<typeof RoundAnchoredSchema>;

/** `JobFinalized(jobId, payoutRoot, payoutTotal, fee, claimDeadline)` as a transaction emitted it, parsed. */
const JobFinalizedSchema = z.object({
  jobId: uint,
  payoutRoot: Bytes32Schema,
  payoutTotal: uint,
  fee: uint,
  claimDeadline: uint,
});
export type JobFinalized = z.infer<typeof JobFinalizedSchema>;

/** The TrainingJobs events of one transaction that an audit compares with the ledger. */
export interface TrainingJobsEvents {
  readonly roundAnchored: readonly RoundAnchored[];
  readonly jobFinalized: readonly JobFinalized[];
}

/** Decodes TrainingJobs' custom errors (the typed contracts type calls and events, not errors). */
const errors = new Interface(trainingJobsAbi);

/** The revert data of a failed `eth_call`, when the error carries it. */
function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown } | null)?.data;
  return typeof data === "string" && data.startsWith("0x") && data.length > 2 ? data : undefined;
}

/** The name of the TrainingJobs custom error in a failed call or transaction, e.g. `TrainingJobsAlreadyClaimed`. */
export function trainingJobsErrorName(error: unknown): string | undefined {
  const data = revertData(error) ?? revertData((error as { error?: unknown } | null)?.error);
  if (data === undefined) return undefined;
  try {
    return errors.parseError(data)?.name;
  } catch {
    return undefined;
  }
}

/** `getJob`'s struct as a plain object, field by field, for its schema. */
function jobFields(
  job: TrainingJobsTypes.ITrainingJobs.JobStructOutput,
): Record<keyof z.input<typeof OnChainJobSchema>, unknown> {
  return {
    coordinator: job.coordinator,
    rounds: job.rounds,
    roundsAnchored: job.roundsAnchored,
    status: job.status,
    lastActivityAt: job.lastActivityAt,
    accepted: job.accepted,
    paymentToken: job.paymentToken,
    claimDeadline: job.claimDeadline,
    feeBps: job.feeBps,
    staleJobTimeout: job.staleJobTimeout,
    payoutRoot: job.payoutRoot,
    payoutTotal: job.payoutTotal,
    claimed: job.claimed,
    researcher: job.researcher,
    escrow: job.escrow,
    fee: job.fee,
    refunded: job.refunded,
    modelSpecHash: job.modelSpecHash,
  };
}

/**
 * Reads TrainingJobs directly from a JSON-RPC node, every call at one block so a report describes one state of the
 * chain (a round anchored between two reads cannot make them disagree). Results are parsed, not trusted.
 */
export class TrainingJobsReader {
  readonly provider: Provider;
  readonly address: Address;
  readonly chainId: bigint;
  /** The block every read is made at. */
  readonly blockNumber: number;
  readonly blockTimestamp: bigint;
  readonly #contract: TrainingJobs;

  private constructor(provider: Provider, address: Address, chainId: bigint, blockNumber: number, timestamp: bigint) {
    this.provider = provider;
    this.address = address;
    this.chainId = chainId;
    this.blockNumber = blockNumber;
    this.blockTimestamp = timestamp;
    this.#contract = connectTrainingJobs(address, provider);
  }

  /** Pins the latest block and checks that a contract is deployed at `address` (`TrainingJobsNotFoundError`). */
  static async at(provider: Provider, address: string): Promise<TrainingJobsReader> {
    const parsed = parseInput(AddressSchema, address, "TrainingJobs address");
    const { chainId } = await provider.getNetwork();
    const block = await provider.getBlock("latest");
    if (block === null) throw new Error("the node returned no latest block");
    const code = await provider.getCode(parsed, block.number);
    if (code === "0x") throw new TrainingJobsNotFoundError(parsed, chainId);
    return new TrainingJobsReader(provider, parsed, chainId, block.number, BigInt(block.timestamp));
  }

  /** The job, or `undefined` when TrainingJobs knows no job with this id (`TrainingJobsUnknownJob`). */
  async job(jobId: bigint): Promise<OnChainJob | undefined> {
    let result: TrainingJobsTypes.ITrainingJobs.JobStructOutput;
    try {
      result = await this.#contract.getJob(jobId, { blockTag: this.blockNumber });
    } catch (error) {
      if (trainingJobsErrorName(error) === "TrainingJobsUnknownJob") return undefined;
      throw error;
    }
    const job = parseInput(OnChainJobSchema, jobFields(result), `TrainingJobs.getJob(${jobId})`);
    return {
      coordinator: job.coordinator,
      researcher: job.researcher,
      status: JOB_STATUS[Number(job.status)] as JobStatusName,
      rounds: Number(job.rounds),
      roundsAnchored: Number(job.roundsAnchored),
      escrow: job.escrow,
      feeBps: job.feeBps,
      payoutRoot: job.payoutRoot,
      payoutTotal: job.payoutTotal,
      fee: job.fee,
      claimed: job.claimed,
      refunded: job.refunded,
      claimDeadline: job.claimDeadline,
      paymentToken: job.paymentToken,
      modelSpecHash: job.modelSpecHash,
      accepted: job.accepted,
      lastActivityAt: job.lastActivityAt,
      staleJobTimeout: job.staleJobTimeout,
    };
  }

  /** `getRound(jobId, round)` (rounds from 1); both fields are zero for a round not anchored. */
  async round(jobId: bigint, round: number): Promise<OnChainRound> {
    const { updatesRoot, modelHash } = await this.#contract.getRound(jobId, BigInt(round), {
      blockTag: this.blockNumber,
    });
    return parseInput(RoundSchema, { updatesRoot, modelHash }, `TrainingJobs.getRound(${jobId}, ${round})`);
  }

  /** Whether `trainer` has claimed, read at the latest block (not the pinned one): claims happen after pinning. */
  async isClaimed(jobId: bigint, trainer: string): Promise<boolean> {
    const claimed = await this.#contract.isClaimed(jobId, trainer, { blockTag: "latest" });
    return claimed === true;
  }

  /**
   * The `RoundAnchored` and `JobFinalized` events that transaction `txHash` emitted from this contract, parsed, or
   * `undefined` when the node knows no transaction with that hash mined by the pinned block.
   */
  async eventsOf(txHash: string): Promise<TrainingJobsEvents | undefined> {
    const receipt = await this.provider.getTransactionReceipt(txHash);
    if (receipt === null || receipt.blockNumber > this.blockNumber) return undefined;
    const logs = receipt.logs.filter((log) => log.address.toLowerCase() === this.address);
    const { filters } = this.#contract;
    return {
      roundAnchored: this.#decode(logs, filters.RoundAnchored.fragment, RoundAnchoredSchema, txHash),
      jobFinalized: this.#decode(logs, filters.JobFinalized.fragment, JobFinalizedSchema, txHash),
    };
  }

  /** The logs of `event` among `logs`, decoded with the ABI and parsed with `schema`. */
  #decode<T>(logs: readonly Log[], event: EventFragment, schema: z.ZodType<T>, txHash: string): T[] {
    return logs
      .filter((log) => log.topics[0] === event.topicHash)
      .map((log) => {
        const args = this.#contract.interface.decodeEventLog(event, log.data, log.topics).toObject();
        return parseInput(schema, args, `TrainingJobs.${event.name} in ${txHash}`);
      });
  }
}
