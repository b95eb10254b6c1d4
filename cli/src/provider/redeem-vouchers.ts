import type { VoucherStore } from "@tributary/inference-provider";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";

/** What happened to one channel's voucher. Amounts in base units. */
export interface Redemption {
  readonly channelId: string;
  /** The voucher's cumulative amount. */
  readonly amount: bigint;
  /** What the provider received now (the amount, capped at the deposit, less what it had been paid before). */
  readonly received: bigint;
  readonly outcome: "redeemed" | "already-paid" | "closed";
  readonly transaction?: MinedTransaction;
}

/**
 * Redeems, on PaymentChannels, the redeemable voucher the provider holds on every channel (the highest within what
 * it served), or on `only`, where it is more than what was redeemed: one transaction per channel, whatever the
 * number of requests it paid for. A channel the chain already paid up to the voucher is marked redeemed without a
 * transaction; a closed channel cannot be redeemed any more. The store is written after each redemption.
 */
export async function redeemVouchers(
  out: Output,
  chain: ChainSession,
  wallet: Wallet,
  store: VoucherStore,
  only?: bigint,
): Promise<Redemption[]> {
  const channels = await chain.contract("PaymentChannels", wallet);
  const results: Redemption[] = [];
  for (const [channelId, account] of store.accounts) {
    if (only !== undefined && channelId !== only.toString()) continue;
    if (account.redeemable <= account.redeemed) continue;
    const amount = account.redeemable;
    const before = await channels.getChannel(BigInt(channelId));
    // PaymentChannels pays a voucher up to the deposit.
    let due = amount;
    if (before.deposit < due) due = before.deposit;
    if (before.paid >= due) {
      account.redeemed = amount;
      await store.save();
      results.push({ channelId, amount, received: 0n, outcome: "already-paid" });
      continue;
    }
    if (before.status === 3n) {
      out.say(`channel ${channelId} is closed: its voucher for ${amount} can no longer be redeemed`);
      results.push({ channelId, amount, received: 0n, outcome: "closed" });
      continue;
    }
    const transaction = await sendAndWait(out, {
      description: `redeem the voucher for ${amount} on channel ${channelId}`,
      call: "PaymentChannels.redeem",
      send: () => channels.redeem(BigInt(channelId), amount, account.signature),
    });
    account.redeemed = amount;
    await store.save();
    const after = await channels.getChannel(BigInt(channelId));
    results.push({ channelId, amount, received: after.paid - before.paid, outcome: "redeemed", transaction });
  }
  return results;
}
