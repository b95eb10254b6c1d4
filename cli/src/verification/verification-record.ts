import type { ModelRegistry, OptimisticVerifier } from "@tributary/contracts/typed";
import { parseVerificationOutcomeEvent, parseVerifierEvent } from "@tributary/protocol";
import { type Provider, type Result, ZeroAddress } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { DEFAULT_BLOCK_CHUNK, EventScanner } from "./event-scanner.js";
import { outcomeName } from "./verifier-tasks.js";

/**
 * What the chain records of one model's verified results (one listing: one provider's stake and reputation): its
 * OptimisticVerifier tasks, how their disputes ended, and what ModelRegistry slashed and recorded for them.
 */
export interface VerificationRecord {
  readonly modelId: string;
  /** Tasks created on the model (`TaskCreated`). */
  readonly tasks: number;
  /** Results that ended undisputed after their window (`TaskFinalized` Accepted). */
  readonly accepted: number;
  /** Results disputed (`Disputed`). */
  readonly disputes: number;
  /** Disputes the provider won (ProviderWon). */
  readonly disputesWon: number;
  /** Disputes the provider lost (ChallengerWon): each slashed and cost reputation. */
  readonly disputesLost: number;
  /** Disputes the committee left undecided past the resolution period (Void). */
  readonly disputesVoid: number;
  /** Disputes not ended yet. */
  readonly disputesOpen: number;
  /** Disputes ended by a ZK proof (`resolveWithProof`): won or lost before the resolution deadline, with the model's proof verifier. */
  readonly resolvedByProof: number;
  /** `ModelSlashed` events: how often the provider's stake was slashed for this model, and how much in all (wei). */
  readonly slashes: number;
  readonly slashed: bigint;
  /** Outcomes ModelRegistry recorded for the model (`ReputationUpdated`): correct results and wrong ones. */
  readonly recorded: { readonly correct: number; readonly wrong: number };
}

/** A dispute as `Disputed` announced it. */
interface DisputeLog {
  readonly proofVerifier: string;
  readonly resolutionDeadline: bigint;
}

/** What one chunk of blocks holds of the five events, parsed with protocol's schemas. */
interface ChunkLogs {
  readonly tasks: readonly { readonly taskId: bigint; readonly modelId: bigint }[];
  readonly disputes: readonly (DisputeLog & { readonly taskId: bigint })[];
  readonly finalized: readonly { readonly taskId: bigint; readonly outcome: bigint; readonly blockNumber: number }[];
  readonly slashes: readonly { readonly modelId: bigint; readonly slashed: bigint }[];
  readonly reputation: readonly { readonly modelId: bigint; readonly correct: boolean }[];
}

/** A log's arguments by name as a plain object (ethers' `Result` is an array, which zod's objects refuse). */
const argsOf = (log: { readonly args: unknown }) => (log.args as Result).toObject();

async function readChunk(
  verifier: OptimisticVerifier,
  models: ModelRegistry,
  from: number,
  to: number,
): Promise<ChunkLogs> {
  const [created, disputed, finalized, slashed, reputation] = await Promise.all([
    verifier.queryFilter(verifier.filters.TaskCreated(), from, to),
    verifier.queryFilter(verifier.filters.Disputed(), from, to),
    verifier.queryFilter(verifier.filters.TaskFinalized(), from, to),
    models.queryFilter(models.filters.ModelSlashed(), from, to),
    models.queryFilter(models.filters.ReputationUpdated(), from, to),
  ]);
  return {
    tasks: created.map((log) => parseVerifierEvent("TaskCreated", argsOf(log))),
    disputes: disputed.map((log) => parseVerifierEvent("Disputed", argsOf(log))),
    finalized: finalized.map((log) => ({
      ...parseVerificationOutcomeEvent("TaskFinalized", argsOf(log)),
      blockNumber: log.blockNumber,
    })),
    slashes: slashed.map((log) => parseVerificationOutcomeEvent("ModelSlashed", argsOf(log))),
    reputation: reputation.map((log) => parseVerificationOutcomeEvent("ReputationUpdated", argsOf(log))),
  };
}

type Tally = { -readonly [K in Exclude<keyof VerificationRecord, "recorded">]: VerificationRecord[K] } & {
  recorded: { correct: number; wrong: number };
};

/** A model's record with nothing on it yet. */
export function emptyRecord(modelId: bigint): VerificationRecord {
  return {
    modelId: String(modelId),
    tasks: 0,
    accepted: 0,
    disputes: 0,
    disputesWon: 0,
    disputesLost: 0,
    disputesVoid: 0,
    disputesOpen: 0,
    resolvedByProof: 0,
    slashes: 0,
    slashed: 0n,
    recorded: { correct: 0, wrong: 0 },
  };
}

/**
 * Every model's verification record, from the chain's events between `fromBlock` (the deployment's start) and the
 * head: OptimisticVerifier's `TaskCreated` (which task is which model's), `Disputed` and `TaskFinalized`, and
 * ModelRegistry's `ModelSlashed` and `ReputationUpdated`, read in chunks of at most `chunk` blocks (public RPCs
 * refuse wide log queries). A dispute counts as resolved by a proof when the model had a proof verifier and it ended
 * won or lost in its resolution period (only `resolveWithProof` can; `resolveTimeout` ends it after the deadline).
 * Models with nothing recorded get an empty record when `modelIds` names them.
 */
export async function readVerificationRecords(input: {
  readonly provider: Provider;
  readonly verifier: OptimisticVerifier;
  readonly models: ModelRegistry;
  readonly fromBlock: number;
  readonly modelIds?: readonly bigint[];
  readonly chunk?: number;
}): Promise<Map<string, VerificationRecord>> {
  const { provider, verifier, models } = input;
  const modelOfTask = new Map<bigint, bigint>();
  const disputes = new Map<bigint, DisputeLog>();
  const finalized = new Map<bigint, { readonly outcome: bigint; readonly blockNumber: number }>();
  const slashes: ChunkLogs["slashes"][number][] = [];
  const reputation: ChunkLogs["reputation"][number][] = [];
  const scanner = await EventScanner.open((from, to) => readChunk(verifier, models, from, to).then((c) => [c]), {
    fromBlock: input.fromBlock,
    chunk: input.chunk ?? DEFAULT_BLOCK_CHUNK,
  });
  await scanner.scan(await provider.getBlockNumber(), async (chunks) => {
    for (const chunk of chunks) {
      for (const task of chunk.tasks) modelOfTask.set(task.taskId, task.modelId);
      for (const dispute of chunk.disputes) disputes.set(dispute.taskId, dispute);
      for (const end of chunk.finalized) finalized.set(end.taskId, end);
      slashes.push(...chunk.slashes);
      reputation.push(...chunk.reputation);
    }
  });

  const records = new Map<string, Tally>();
  const recordOf = (modelId: bigint): Tally => {
    let record = records.get(String(modelId));
    if (record === undefined) {
      record = { ...emptyRecord(modelId), recorded: { correct: 0, wrong: 0 } };
      records.set(String(modelId), record);
    }
    return record;
  };
  for (const modelId of input.modelIds ?? []) recordOf(modelId);
  for (const modelId of modelOfTask.values()) recordOf(modelId).tasks += 1;
  const blockTimes = new Map<number, bigint>();
  for (const [taskId, dispute] of disputes) {
    const modelId = modelOfTask.get(taskId);
    if (modelId === undefined) continue;
    const record = recordOf(modelId);
    record.disputes += 1;
    const end = finalized.get(taskId);
    const outcome = end === undefined ? "None" : outcomeName(end.outcome);
    if (end === undefined) record.disputesOpen += 1;
    else if (outcome === "ProviderWon") record.disputesWon += 1;
    else if (outcome === "ChallengerWon") record.disputesLost += 1;
    else if (outcome === "Void") record.disputesVoid += 1;
    if (end === undefined || dispute.proofVerifier === ZeroAddress.toLowerCase()) continue;
    if (outcome !== "ProviderWon" && outcome !== "ChallengerWon") continue;
    let time = blockTimes.get(end.blockNumber);
    if (time === undefined) {
      time = BigInt((await provider.getBlock(end.blockNumber))?.timestamp ?? 0);
      blockTimes.set(end.blockNumber, time);
    }
    if (time <= dispute.resolutionDeadline) record.resolvedByProof += 1;
  }
  for (const [taskId, end] of finalized) {
    const modelId = modelOfTask.get(taskId);
    if (modelId !== undefined && outcomeName(end.outcome) === "Accepted") recordOf(modelId).accepted += 1;
  }
  for (const { modelId, slashed } of slashes) {
    const record = recordOf(modelId);
    record.slashes += 1;
    record.slashed += slashed;
  }
  for (const { modelId, correct } of reputation) {
    const record = recordOf(modelId);
    if (correct) record.recorded.correct += 1;
    else record.recorded.wrong += 1;
  }
  const wanted = input.modelIds === undefined ? undefined : new Set(input.modelIds.map(String));
  return new Map([...records].filter(([modelId]) => wanted === undefined || wanted.has(modelId)));
}

/**
 * The verification records of the deployment's models (`modelIds`, else every model with anything recorded) as a
 * chain command reads them: from the deployment's start block, through the session's OptimisticVerifier and
 * ModelRegistry.
 */
export async function readDeploymentRecords(
  chain: ChainSession,
  modelIds?: readonly bigint[],
): Promise<Map<string, VerificationRecord>> {
  const { deployment } = await chain.deployment();
  return readVerificationRecords({
    provider: chain.provider,
    verifier: await chain.contract("OptimisticVerifier"),
    models: await chain.contract("ModelRegistry"),
    fromBlock: deployment.startBlock,
    ...(modelIds === undefined ? {} : { modelIds }),
  });
}

/** `12 tasks (10 accepted undisputed); disputes 3: 1 won, 2 lost (1 by ZK proof); slashed 2× for 1000 TRIB`, for people. */
export function describeRecord(record: VerificationRecord, formatStake: (amount: bigint) => string): string {
  const ended = [`${record.disputesWon} won`, `${record.disputesLost} lost`];
  if (record.disputesVoid > 0) ended.push(`${record.disputesVoid} void`);
  if (record.disputesOpen > 0) ended.push(`${record.disputesOpen} open`);
  const proofs = record.resolvedByProof > 0 ? ` (${record.resolvedByProof} by ZK proof)` : "";
  const slashed =
    record.slashes === 0 ? "never slashed" : `slashed ${record.slashes}× for ${formatStake(record.slashed)}`;
  return `${record.tasks} tasks (${record.accepted} accepted undisputed); disputes ${record.disputes}: ${ended.join(", ")}${proofs}; ${slashed}`;
}
