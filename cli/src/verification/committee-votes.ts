import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { ErrorDetails } from "@tributary/protocol";
import { ZeroAddress } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { sendAndWait } from "../chain/transactions.js";
import type { EventScanner } from "./event-scanner.js";
import type { TaskCheck, TaskChecker } from "./task-checker.js";
import {
  forEachTaskOfModel,
  refusalData,
  statusName,
  type TaskStatusName,
  type VerifierTask,
} from "./verifier-tasks.js";

/**
 * What a committee member did about one dispute: voted (`providerCorrect` = the recomputed hash is the provider's),
 * could not check it (`unchecked`: no source had the request, or it does not fit the model), had voted already, found
 * it resolved or resolved by a proof (`not-open`), or was refused by the contract (`refused`, with the decoded error:
 * e.g. `OptimisticVerifierConflictedMember` for the task's requester).
 */
export interface VoteOutcome extends TaskCheck {
  readonly action: "voted" | "unchecked" | "already-voted" | "not-open" | "refused";
  readonly providerCorrect?: boolean;
  /** The challenger's hash, for the record. */
  readonly alternativeResponseHash: string;
  readonly status?: TaskStatusName;
  readonly transaction?: string;
  readonly error?: { code: string; message: string; details: ErrorDetails };
}

export interface CommitteeMember {
  readonly out: Output;
  readonly chain: ChainSession;
  /** The member's address (lower case). */
  readonly member: string;
  /** OptimisticVerifier, sending from the member's key. */
  readonly verifier: OptimisticVerifier;
  readonly modelId: bigint;
  readonly checker: TaskChecker;
}

/** One pass of `committee vote`: every dispute on `modelId` since the scanner's cursor (`voteOnTask` each). */
export async function voteOnDisputes(
  member: CommitteeMember,
  scanner: EventScanner<{ readonly args: { readonly taskId: bigint } }>,
): Promise<VoteOutcome[]> {
  const outcomes: VoteOutcome[] = [];
  await forEachTaskOfModel(member.chain, member.verifier, scanner, member.modelId, async (taskId, task) => {
    outcomes.push(await voteOnTask(member, taskId, task));
  });
  return outcomes;
}

/**
 * Re-executes a disputed task and votes `providerCorrect` = (the recomputed response hash is the provider's). The
 * contract decides who may vote (a member with the minimum stake, neither the provider nor the challenger nor the
 * requester, once): its refusal is reported with the decoded custom error, never pre-empted here.
 */
export async function voteOnTask(member: CommitteeMember, taskId: bigint, task: VerifierTask): Promise<VoteOutcome> {
  const { out, verifier } = member;
  const status = statusName(task.status);
  const record = { alternativeResponseHash: task.alternativeResponseHash.toLowerCase() };
  const base = {
    taskId,
    inputHash: task.inputHash as `0x${string}`,
    responseHash: task.responseHash as `0x${string}`,
    ...record,
  };
  if (status !== "Disputed" || task.proofVerifier !== ZeroAddress) {
    const reason = status === "Disputed" ? "a ZK proof resolves it" : `the task is ${status}`;
    return { ...base, verdict: "unavailable", reason, action: "not-open", status };
  }
  if (await verifier.hasVoted(taskId, member.member)) {
    return { ...base, verdict: "unavailable", reason: "voted already", action: "already-voted" };
  }
  const check = await member.checker.check({ taskId, inputHash: task.inputHash, responseHash: task.responseHash });
  if (check.verdict !== "agrees" && check.verdict !== "differs") {
    out.say(`task ${taskId}: not voting: ${check.reason}`);
    return { ...check, ...record, action: "unchecked" };
  }
  const providerCorrect = check.verdict === "agrees";
  try {
    const mined = await sendAndWait(out, {
      description: `vote on task ${taskId}: the provider's response is ${providerCorrect ? "correct" : "wrong"}`,
      call: "OptimisticVerifier.vote",
      send: () => verifier.vote(taskId, providerCorrect),
    });
    return { ...check, ...record, action: "voted", providerCorrect, transaction: mined.hash };
  } catch (error) {
    if (!(error instanceof RefusedError)) throw error;
    out.say(`task ${taskId}: the vote was refused: ${error.message}`);
    return { ...check, ...record, action: "refused", providerCorrect, error: refusalData(error) };
  }
}
