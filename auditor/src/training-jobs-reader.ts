import { trainingJobsAbi } from "@tributary/contracts";
import { type Address, AddressSchema, type Bytes32, Bytes32Schema, parseInput } from "@tributary/protocol";
import { type BlockTag, Interface, type Provider, type Result } from "ethers";
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
  paymentToken: AddressSchema,
  claimDeadline: uint,
  feeBps: uint,
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
}

export interface OnChainRound {
  readonly updatesRoot: Bytes32;
  readonly modelHash: Bytes32;
}

const RoundSchema = z.object({ updatesRoot: Bytes32Schema, modelHash: Bytes32Schema });

const abi = new Interface(trainingJobsAbi);

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
    return abi.parseError(data)?.name;
  } catch {
    return undefined;
  }
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

  private constructor(provider: Provider, address: Address, chainId: bigint, blockNumber: number, timestamp: bigint) {
    this.provider = provider;
    this.address = address;
    this.chainId = chainId;
    this.blockNumber = blockNumber;
    this.blockTimestamp = timestamp;
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

  async #call(fn: string, args: readonly unknown[], blockTag: BlockTag = this.blockNumber): Promise<Result> {
    const data = await this.provider.call({ to: this.address, data: abi.encodeFunctionData(fn, args), blockTag });
    return abi.decodeFunctionResult(fn, data);
  }

  /** The job, or `undefined` when TrainingJobs knows no job with this id (`TrainingJobsUnknownJob`). */
  async job(jobId: bigint): Promise<OnChainJob | undefined> {
    let result: Result;
    try {
      result = await this.#call("getJob", [jobId]);
    } catch (error) {
      if (trainingJobsErrorName(error) === "TrainingJobsUnknownJob") return undefined;
      throw error;
    }
    const job = parseInput(OnChainJobSchema, (result[0] as Result).toObject(), `TrainingJobs.getJob(${jobId})`);
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
    };
  }

  /** `getRound(jobId, round)` (rounds from 1); both fields are zero for a round not anchored. */
  async round(jobId: bigint, round: number): Promise<OnChainRound> {
    const result = await this.#call("getRound", [jobId, BigInt(round)]);
    return parseInput(RoundSchema, (result[0] as Result).toObject(), `TrainingJobs.getRound(${jobId}, ${round})`);
  }

  /** Whether `trainer` has claimed, read at the latest block (not the pinned one): claims happen after pinning. */
  async isClaimed(jobId: bigint, trainer: string): Promise<boolean> {
    const [claimed] = await this.#call("isClaimed", [jobId, trainer], "latest");
    return claimed === true;
  }

  /**
   * The TrainingJobs events (name and arguments) that transaction `txHash` emitted from this contract, or
   * `undefined` when the node knows no mined transaction with that hash.
   */
  async eventsOf(txHash: string): Promise<{ name: string; args: Result }[] | undefined> {
    const receipt = await this.provider.getTransactionReceipt(txHash);
    if (receipt === null || receipt.blockNumber > this.blockNumber) return undefined;
    const events: { name: string; args: Result }[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address) continue;
      const parsed = abi.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed !== null) events.push({ name: parsed.name, args: parsed.args });
    }
    return events;
  }
}
