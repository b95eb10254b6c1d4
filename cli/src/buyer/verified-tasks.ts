import type { Prediction, TaskSampler } from "@tributary/buyer";
import type { OptimisticVerifier } from "@tributary/contracts/typed";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import type { TokenInfo } from "../chain/spend.js";
import type { TaskBook } from "./task-book.js";

/** How a buyer turns verifiable answers into OptimisticVerifier tasks. */
export interface TaskPolicy {
  readonly sampler: TaskSampler;
  /** The buyer's choice for every request (`--task`), else undefined: the sampler's rate decides. */
  readonly choice?: boolean;
  /** The task's payment in base units; default the request's price. */
  readonly payment?: bigint;
  /** Approve the payment when the allowance is short (else refused). */
  readonly approve: boolean;
}

/** The model the tasks are created on: its id, its listing's provider (the only one a task names) and its token. */
export interface TaskTarget {
  readonly out: Output;
  readonly book: TaskBook;
  readonly buyer: Wallet;
  readonly verifier: OptimisticVerifier;
  readonly modelId: bigint;
  readonly listingProvider: string;
  readonly token: TokenInfo;
}

/** What happened to one answer: a task was created (its id), or why not. */
export type TaskDecision = { readonly taskId: string } | { readonly skipped: string };

/**
 * Creates a task for `prediction` when the policy says so: only for a verifiable answer (its checked request hash is
 * the task's `inputHash`, its receipt's response hash is remembered), only for an answer of the model's listing
 * provider (OptimisticVerifier names it in every task: a licensee could not submit), and with a positive payment.
 */
export async function taskFor(target: TaskTarget, policy: TaskPolicy, prediction: Prediction): Promise<TaskDecision> {
  if (!policy.sampler.decide(policy.choice)) return { skipped: "not sampled" };
  const verified = prediction.verified;
  if (verified === undefined) return { skipped: "not a verifiable answer" };
  if (prediction.provider !== target.listingProvider.toLowerCase()) {
    return { skipped: `answered by ${prediction.provider}, not the listing's provider ${target.listingProvider}` };
  }
  const payment = policy.payment ?? prediction.receipt.price;
  if (payment === 0n) return { skipped: "a free answer: give --task-payment" };
  const entry = await target.book.create(target.out, target.buyer, target.verifier, {
    modelId: target.modelId,
    provider: prediction.provider,
    requestHash: verified.requestHash,
    responseHash: verified.responseHash,
    token: target.token,
    payment,
    approve: policy.approve,
  });
  return { taskId: entry.taskId };
}
