import { type DecodedRevert, decodeRevert } from "@tributary/contracts/revert-decoder";
import { isError, type TransactionReceipt, type TransactionResponse } from "ethers";
import type { Output } from "./output.js";
import { RefusedError } from "./run-command.js";

/** One transaction of a command. */
export interface TransactionStep {
  /** What it does, for people: `approve 100 TRIB for Staking`. */
  readonly description: string;
  /** The contract call, for messages: `Staking.stake`. */
  readonly call: string;
  /**
   * Sends it (ethers estimates gas first, so a call the contract would refuse throws here, nothing sent): a contract
   * call, or a plain transfer of ether.
   */
  readonly send: () => Promise<TransactionResponse>;
}

/** A transaction that was mined successfully. */
export interface MinedTransaction {
  readonly call: string;
  readonly hash: string;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
}

function reverted(
  call: string,
  how: string,
  decoded: DecodedRevert | undefined,
  extra: Record<string, unknown>,
  after = "",
): RefusedError {
  const reason = decoded === undefined ? "without a reason the contracts' ABIs name" : `with ${decoded.text}`;
  return new RefusedError("REVERTED", `${call} ${how} ${reason}${after}`, {
    call,
    ...extra,
    ...(decoded === undefined ? {} : { error: decoded.name, args: decoded.args }),
  });
}

/** What the node said, where ethers could not classify its error (e.g. EDR's "doesn't have enough funds"). */
function nodeMessage(error: unknown): string {
  const nested = (error as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof nested === "string" ? nested : error instanceof Error ? error.message : String(error);
}

/** Replays a transaction that reverted on chain as a call on the state before its block, to read its error. */
async function revertOfMined(tx: TransactionResponse, receipt: TransactionReceipt) {
  try {
    await tx.provider.call({
      to: tx.to,
      from: tx.from,
      data: tx.data,
      value: tx.value,
      blockTag: receipt.blockNumber - 1,
    });
    return undefined;
  } catch (error) {
    return decodeRevert(error);
  }
}

/**
 * Sends `step`, prints its hash at once, waits for its receipt and prints the block and gas. A call the contract
 * refuses is a `RefusedError` naming the decoded custom error and its arguments: before sending (the gas estimate
 * reverted; nothing was sent, no gas spent), or after (the transaction reverted on chain; its hash is kept).
 * Too little ether for gas is a `RefusedError` too.
 */
export async function sendAndWait(out: Output, step: TransactionStep): Promise<MinedTransaction> {
  let tx: TransactionResponse;
  try {
    tx = await step.send();
  } catch (error) {
    const said = nodeMessage(error);
    if (isError(error, "INSUFFICIENT_FUNDS") || /insufficient funds|enough funds/i.test(said)) {
      throw new RefusedError(
        "INSUFFICIENT_FUNDS",
        `${step.call}: the sender has too little ether to pay for the gas; nothing was sent (the node says: ${said})`,
        { call: step.call },
        error,
      );
    }
    const decoded = decodeRevert(error);
    if (decoded !== undefined || isError(error, "CALL_EXCEPTION")) {
      throw reverted(step.call, "would revert", decoded, {}, "; nothing was sent");
    }
    throw error;
  }
  out.say(`${step.description}: transaction ${tx.hash}`);
  const waiting = out.progress(`waiting for ${tx.hash} to be mined`);
  waiting.update(0);
  let receipt: TransactionReceipt | null;
  try {
    receipt = await tx.wait();
  } catch (error) {
    if (!isError(error, "CALL_EXCEPTION") || error.receipt === null || error.receipt === undefined) throw error;
    const mined = error.receipt;
    throw reverted(
      step.call,
      `transaction ${tx.hash} reverted in block ${mined.blockNumber}`,
      await revertOfMined(tx, mined),
      {
        txHash: tx.hash,
        blockNumber: mined.blockNumber,
      },
    );
  } finally {
    waiting.end();
  }
  if (receipt === null)
    throw new RefusedError("NOT_MINED", `${step.call}: transaction ${tx.hash} was replaced`, { txHash: tx.hash });
  out.say(`  mined in block ${receipt.blockNumber}, gas used ${receipt.gasUsed}`);
  return { call: step.call, hash: tx.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
