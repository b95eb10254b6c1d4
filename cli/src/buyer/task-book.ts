import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { OptimisticVerifier } from "@tributary/contracts/typed";
import { readStoredJson, writeFileDurably } from "@tributary/inference-provider";
import { AddressSchema, type Bytes32, Bytes32Schema, TributaryError, Uint256Schema } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { z } from "zod";
import type { Output } from "../chain/output.js";
import { ensureSpend, type TokenInfo } from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import { outcomeName, statusName, TASK_OUTCOME } from "../verification/verifier-tasks.js";

const EntrySchema = z.strictObject({
  taskId: Uint256Schema,
  modelId: Uint256Schema,
  provider: AddressSchema,
  requestHash: Bytes32Schema,
  /** The response hash the provider signed in the receipt the buyer checked. */
  responseHash: Bytes32Schema,
  paymentToken: AddressSchema,
  payment: Uint256Schema,
  /** Where the task ended (`Accepted`, `ChallengerWon`, …, or `Cancelled`); absent while open. */
  ended: z.enum([...TASK_OUTCOME, "Cancelled"]).optional(),
});
export type TaskEntry = z.output<typeof EntrySchema>;

const FileSchema = z.strictObject({
  version: z.literal(1),
  chainId: Uint256Schema,
  verifier: AddressSchema,
  buyer: AddressSchema,
  tasks: z.array(EntrySchema),
});

/** Where one remembered task stands after `settle`, and what was done about it. */
export interface TaskStanding {
  readonly taskId: string;
  readonly status: string;
  readonly action: "none" | "finalized" | "cancelled";
  /** The provider submitted a response hash other than the one its receipt to the buyer signed. */
  readonly submittedOtherThanReceipt?: Bytes32;
  readonly transaction?: string;
}

/**
 * The buyer's book of OptimisticVerifier tasks (`<stateDir>/tasks-<chainId>-<verifier>-<buyer>.json`): for each task
 * it created, the model, the provider, the request hash (the task's `inputHash`) and the response hash the provider's
 * receipt signed. `create` escrows a task's payment (approving it first) and records the task; `settle` finalises
 * undisputed tasks after their window, cancels those the provider never answered, and withdraws what the verifier
 * credited back (a lost dispute refunds the payment).
 */
export class TaskBook {
  private constructor(
    readonly file: string,
    private readonly identity: { chainId: bigint; verifier: string; buyer: string },
    private readonly tasks: TaskEntry[],
  ) {}

  static async open(
    stateDir: string,
    identity: { chainId: bigint; verifier: string; buyer: string },
  ): Promise<TaskBook> {
    const name = `tasks-${identity.chainId}-${identity.verifier}-${identity.buyer}.json`.toLowerCase();
    const file = path.join(stateDir, name);
    await mkdir(stateDir, { recursive: true });
    const stored = await readStoredJson(file, FileSchema);
    const expected = [identity.chainId.toString(), identity.verifier.toLowerCase(), identity.buyer.toLowerCase()];
    if (stored !== undefined && [stored.chainId, stored.verifier, stored.buyer].join() !== expected.join()) {
      throw new TributaryError("INVALID_INPUT", `${file} holds another buyer's or deployment's tasks`);
    }
    return new TaskBook(file, identity, stored?.tasks ?? []);
  }

  /** The tasks remembered, oldest first. */
  entries(): readonly TaskEntry[] {
    return this.tasks;
  }

  /**
   * Creates a task for a verifiable answer: approves `payment` of `token` for the verifier when the allowance is short
   * (unless `approve` is false: refused), calls `createTask(modelId, requestHash, token, payment)`, and records the
   * task with the receipt's response hash.
   */
  async create(
    out: Output,
    buyer: Wallet,
    verifier: OptimisticVerifier,
    task: {
      readonly modelId: bigint;
      readonly provider: string;
      readonly requestHash: Bytes32;
      readonly responseHash: Bytes32;
      readonly token: TokenInfo;
      readonly payment: bigint;
      readonly approve: boolean;
    },
  ): Promise<TaskEntry> {
    const spender = { name: "OptimisticVerifier", address: await verifier.getAddress() };
    const purpose = `a task on model ${task.modelId}`;
    await ensureSpend(out, {
      purpose,
      token: task.token,
      signer: buyer,
      spender,
      amount: task.payment,
      approve: task.approve,
    });
    const mined = await sendAndWait(out, {
      description: `create a task for request ${task.requestHash}`,
      call: "OptimisticVerifier.createTask",
      send: () => verifier.createTask(task.modelId, task.requestHash, task.token.address, task.payment),
    });
    const logs = await verifier.queryFilter(
      verifier.filters.TaskCreated(undefined, buyer.address),
      mined.blockNumber,
      mined.blockNumber,
    );
    const created = logs.find((log) => log.transactionHash === mined.hash);
    if (created === undefined)
      throw new TributaryError("NO_EVENT", `OptimisticVerifier emitted no TaskCreated in ${mined.hash}`);
    const entry: TaskEntry = {
      taskId: created.args.taskId.toString(),
      modelId: task.modelId.toString(),
      provider: task.provider.toLowerCase() as `0x${string}`,
      requestHash: task.requestHash,
      responseHash: task.responseHash,
      paymentToken: task.token.address.toLowerCase() as `0x${string}`,
      payment: task.payment.toString(),
    };
    this.tasks.push(entry);
    await this.save();
    return entry;
  }

  /**
   * Brings every open task up to date at `now` (the chain's clock): finalises a submitted one whose dispute window
   * closed (`finalizeTask`: the provider is paid, its reputation rises), cancels a requested one whose response
   * deadline passed (`cancelTask`: the payment comes back), records how ended ones ended; then withdraws what the
   * verifier credited this buyer in each payment token. A submitted hash other than the receipt's is reported and not
   * finalised (a challenger may dispute it).
   */
  async settle(out: Output, buyer: string, verifier: OptimisticVerifier, now: bigint): Promise<TaskStanding[]> {
    const standings: TaskStanding[] = [];
    for (const entry of this.tasks.filter((task) => task.ended === undefined)) {
      const taskId = BigInt(entry.taskId);
      const task = await verifier.getTask(taskId);
      const status = statusName(task.status);
      const standing = { taskId: entry.taskId, status };
      if (status === "Finalized" || status === "Cancelled") {
        entry.ended = status === "Cancelled" ? "Cancelled" : outcomeName(task.outcome);
        standings.push({ ...standing, status: entry.ended, action: "none" });
      } else if (status === "Requested" && now > task.deadline) {
        const mined = await sendAndWait(out, {
          description: `cancel task ${taskId} (no response by ${task.deadline})`,
          call: "OptimisticVerifier.cancelTask",
          send: () => verifier.cancelTask(taskId),
        });
        entry.ended = "Cancelled";
        standings.push({ ...standing, status: "Cancelled", action: "cancelled", transaction: mined.hash });
      } else if (status === "Submitted" && task.responseHash.toLowerCase() !== entry.responseHash) {
        const submitted = task.responseHash.toLowerCase() as Bytes32;
        standings.push({ ...standing, action: "none", submittedOtherThanReceipt: submitted });
      } else if (status === "Submitted" && now > task.deadline) {
        const mined = await sendAndWait(out, {
          description: `finalise task ${taskId} (undisputed)`,
          call: "OptimisticVerifier.finalizeTask",
          send: () => verifier.finalizeTask(taskId),
        });
        entry.ended = "Accepted";
        standings.push({ ...standing, status: "Finalized", action: "finalized", transaction: mined.hash });
      } else {
        standings.push({ ...standing, action: "none" });
      }
      await this.save();
    }
    for (const token of new Set(this.tasks.map((task) => task.paymentToken))) {
      const owed = await verifier.owed(buyer, token);
      if (owed === 0n) continue;
      await sendAndWait(out, {
        description: `withdraw ${owed} of ${token} credited back by OptimisticVerifier`,
        call: "OptimisticVerifier.withdraw",
        send: () => verifier.withdraw(token),
      });
    }
    return standings;
  }

  async save(): Promise<void> {
    const { chainId, verifier, buyer } = this.identity;
    const file = {
      version: 1,
      chainId: chainId.toString(),
      verifier: verifier.toLowerCase(),
      buyer: buyer.toLowerCase(),
      tasks: this.tasks,
    };
    await writeFileDurably(this.file, `${JSON.stringify(file, null, 2)}\n`);
  }
}
