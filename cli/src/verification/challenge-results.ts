import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { ErrorDetails } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { ensureSpend, type TokenInfo } from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import type { EventScanner } from "./event-scanner.js";
import type { TaskCheck, TaskChecker } from "./task-checker.js";
import { chainTime, forEachTaskOfModel, refusalData, statusName, type TaskStatusName } from "./verifier-tasks.js";

/**
 * What the challenger did about one submitted result: checked it (`checked`: it agrees, or could not be checked),
 * disputed it with the recomputed hash, found it wrong too late (`window-closed`), was refused (a short bond, a
 * revert: `refused`, with the decoded error), or found it no longer open (`status` says why).
 */
export interface ChallengeOutcome extends TaskCheck {
  readonly action: "checked" | "disputed" | "window-closed" | "refused" | "not-open";
  readonly status?: TaskStatusName;
  readonly transaction?: string;
  readonly error?: { code: string; message: string; details: ErrorDetails };
}

export interface Challenger {
  readonly out: Output;
  readonly chain: ChainSession;
  /** The challenger's key, connected to the chain. */
  readonly wallet: Wallet;
  readonly verifier: OptimisticVerifier;
  readonly modelId: bigint;
  readonly checker: TaskChecker;
  /** The bond's token (Staking's) and amount (the verifier's `challengerBond`). */
  readonly bond: { readonly token: TokenInfo; readonly amount: bigint };
  /** Approve the bond when the allowance is short (`--bond-approve`); else such a dispute is refused. */
  readonly approveBond: boolean;
}

/**
 * One pass of `tributary challenger`: every result submitted for `modelId` since the scanner's cursor, re-executed
 * (`TaskChecker`); a result that differs from the recomputation and is still inside its dispute window is disputed
 * with the recomputed response hash and the bond. A result that agrees is never disputed.
 */
export async function challengeResults(
  challenger: Challenger,
  scanner: EventScanner<{ readonly args: { readonly taskId: bigint } }>,
): Promise<ChallengeOutcome[]> {
  const { out, chain, verifier, modelId, checker } = challenger;
  const outcomes: ChallengeOutcome[] = [];
  await forEachTaskOfModel(chain, verifier, scanner, modelId, async (taskId, task) => {
    const status = statusName(task.status);
    if (status !== "Submitted") {
      outcomes.push({
        taskId,
        inputHash: task.inputHash as `0x${string}`,
        responseHash: task.responseHash as `0x${string}`,
        verdict: "unavailable",
        reason: `the task is ${status}`,
        action: "not-open",
        status,
      });
      return;
    }
    const check = await checker.check({ taskId, inputHash: task.inputHash, responseHash: task.responseHash });
    if (check.verdict !== "differs") {
      out.say(`task ${taskId}: ${check.verdict}${check.reason === undefined ? "" : ` (${check.reason})`}`);
      outcomes.push({ ...check, action: "checked" });
      return;
    }
    if ((await chainTime(chain)) > task.deadline) {
      out.say(`task ${taskId}: the provider's ${check.responseHash} is wrong, but its dispute window closed`);
      outcomes.push({ ...check, action: "window-closed" });
      return;
    }
    out.say(`task ${taskId}: the provider submitted ${check.responseHash}, re-execution gives ${check.recomputed}`);
    outcomes.push(await dispute(challenger, check));
  });
  return outcomes;
}

async function dispute(challenger: Challenger, check: TaskCheck): Promise<ChallengeOutcome> {
  const { out, wallet, verifier, bond } = challenger;
  try {
    await ensureSpend(out, {
      purpose: `dispute of task ${check.taskId}`,
      token: bond.token,
      signer: wallet,
      spender: { name: "OptimisticVerifier", address: await verifier.getAddress() },
      amount: bond.amount,
      approve: challenger.approveBond,
    });
    const mined = await sendAndWait(out, {
      description: `dispute task ${check.taskId} with ${check.recomputed}`,
      call: "OptimisticVerifier.dispute",
      send: () => verifier.dispute(check.taskId, check.recomputed as string),
    });
    return { ...check, action: "disputed", transaction: mined.hash };
  } catch (error) {
    if (!(error instanceof RefusedError)) throw error;
    out.say(`task ${check.taskId}: not disputed: ${error.message}`);
    return { ...check, action: "refused", error: refusalData(error) };
  }
}
