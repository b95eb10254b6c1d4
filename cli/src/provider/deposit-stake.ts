import type { Staking } from "@tributary/contracts/typed";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { ensureSpend, formatToken, type SpendReport, type TokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";

export interface StakeDeposit {
  readonly amount: bigint;
  readonly spend: SpendReport;
  readonly transactions: readonly MinedTransaction[];
}

/**
 * `tributary stake deposit`'s core: `staker` stakes `amount` of `token` (Staking's staking token) on Staking, the
 * spend checked (and approved unless `approve` is false) first (`ensureSpend`).
 */
export async function depositStake(
  out: Output,
  input: {
    readonly staker: Wallet;
    readonly staking: Staking;
    readonly token: TokenInfo;
    readonly amount: bigint;
    readonly approve: boolean;
  },
): Promise<StakeDeposit> {
  const { staker, staking, token, amount } = input;
  const spend = await ensureSpend(out, {
    purpose: "stake deposit",
    token,
    signer: staker,
    spender: { name: "Staking", address: await staking.getAddress() },
    amount,
    approve: input.approve,
  });
  const stake = await sendAndWait(out, {
    description: `stake ${formatToken(amount, token)}`,
    call: "Staking.stake",
    send: () => staking.stake(amount),
  });
  return { amount, spend, transactions: spend.approval === undefined ? [stake] : [spend.approval, stake] };
}
