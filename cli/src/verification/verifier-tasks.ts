import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { ErrorDetails } from "@tributary/protocol";
import type { ChainSession } from "../chain/chain-session.js";
import type { RefusedError } from "../chain/run-command.js";
import { EventScanner } from "./event-scanner.js";

/** `IOptimisticVerifier.TaskStatus`, by value. */
export const TASK_STATUS = ["None", "Requested", "Submitted", "Disputed", "Finalized", "Cancelled"] as const;
/** `IOptimisticVerifier.Outcome`, by value. */
export const TASK_OUTCOME = ["None", "Accepted", "ProviderWon", "ChallengerWon", "Void"] as const;

export type TaskStatusName = (typeof TASK_STATUS)[number];
export type TaskOutcomeName = (typeof TASK_OUTCOME)[number];

export const statusName = (status: bigint): TaskStatusName => TASK_STATUS[Number(status)] ?? "None";
export const outcomeName = (outcome: bigint): TaskOutcomeName => TASK_OUTCOME[Number(outcome)] ?? "None";

export type VerifierTask = Awaited<ReturnType<OptimisticVerifier["getTask"]>>;

/** Which OptimisticVerifier events a watcher follows: the ones naming the task in their first (indexed) argument. */
export type TaskEventName = "ResultSubmitted" | "Disputed";

/** A log of a task event: its task id. */
interface TaskLog {
  readonly args: { readonly taskId: bigint };
}

/**
 * A scanner of `event` logs from `fromBlock`, in chunks (`EventScanner`); `file` keeps its cursor across restarts.
 */
export function taskEventScanner(
  verifier: OptimisticVerifier,
  event: TaskEventName,
  options: { readonly fromBlock: number; readonly file?: string },
): Promise<EventScanner<TaskLog>> {
  const filter = event === "ResultSubmitted" ? verifier.filters.ResultSubmitted() : verifier.filters.Disputed();
  return EventScanner.open<TaskLog>((from, to) => verifier.queryFilter(filter, from, to), options);
}

/**
 * Scans the task events the scanner has not read up to the chain's head and hands `handle` each task of `modelId`
 * they name (read afresh, so its status is the current one), once per task per scan.
 */
export async function forEachTaskOfModel(
  chain: ChainSession,
  verifier: OptimisticVerifier,
  scanner: EventScanner<TaskLog>,
  modelId: bigint,
  handle: (taskId: bigint, task: VerifierTask) => Promise<void>,
): Promise<void> {
  const head = await chain.provider.getBlockNumber();
  await scanner.scan(head, async (logs) => {
    const seen = new Set<bigint>();
    for (const log of logs) {
      const taskId = log.args.taskId;
      if (seen.has(taskId)) continue;
      seen.add(taskId);
      const task = await verifier.getTask(taskId);
      if (task.modelId === modelId) await handle(taskId, task);
    }
  });
}

/** The latest block's timestamp (the chain's clock, against which task deadlines are compared). */
export async function chainTime(chain: ChainSession): Promise<bigint> {
  return BigInt((await chain.provider.getBlock("latest"))?.timestamp ?? 0);
}

/** A contract's or a spend's refusal as plain data for a report: code, message and details (the decoded error). */
export function refusalData(error: RefusedError): { code: string; message: string; details: ErrorDetails } {
  return { code: error.code, message: error.message, details: error.details };
}
