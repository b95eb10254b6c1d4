import type { ModelRegistry } from "@tributary/contracts/typed";
import { TributaryError } from "@tributary/protocol";
import type { ContractRunner, Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { formatToken, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";

/** Licence revenue ModelRegistry credited to an account in one token and not yet withdrawn (base units). */
export interface PendingRevenue {
  readonly token: TokenInfo;
  readonly pending: bigint;
}

/** A withdrawal of credited licence revenue, as the chain recorded it (`RevenueWithdrawn`). */
export interface RevenueWithdrawal {
  readonly account: string;
  readonly token: TokenInfo;
  /** What the transaction sent, in base units. */
  readonly amount: bigint;
  readonly transaction: MinedTransaction;
}

/**
 * The tokens licences are sold in, in lower case: `first` (the deployment's TRIB), then each registered model's
 * payment token, each once (ids run from 1 to `modelCount()`).
 */
export async function modelPaymentTokens(
  models: ModelRegistry,
  runner: ContractRunner,
  first: string,
): Promise<TokenInfo[]> {
  const addresses = new Set([first.toLowerCase()]);
  const count = await models.modelCount();
  for (let id = 1n; id <= count; id++) addresses.add((await models.getModel(id)).paymentToken.toLowerCase());
  return Promise.all([...addresses].map((address) => tokenInfo(address, runner)));
}

/** What ModelRegistry holds for `account` in each of `tokens` (`pendingRevenue`), in their order. */
export async function pendingRevenueOf(
  models: ModelRegistry,
  account: string,
  tokens: readonly TokenInfo[],
): Promise<PendingRevenue[]> {
  return Promise.all(
    tokens.map(async (token) => ({ token, pending: await models.pendingRevenue(account, token.address) })),
  );
}

/**
 * `tributary model withdraw-revenue`'s core: sends `account` the licence revenue ModelRegistry credited to it in
 * `token` (its shares as a model's provider and as a job's researcher; pull payments). Says what it will do first;
 * refuses, before anything is sent, an account with nothing credited in that token (`NOTHING_TO_WITHDRAW`). The
 * amount returned is the one `RevenueWithdrawn` recorded.
 */
export async function withdrawModelRevenue(
  out: Output,
  input: { readonly account: Wallet; readonly models: ModelRegistry; readonly token: TokenInfo },
): Promise<RevenueWithdrawal> {
  const { account, models, token } = input;
  const who = account.address.toLowerCase();
  const registry = await models.getAddress();
  const pending = await models.pendingRevenue(who, token.address);
  if (pending === 0n) {
    throw new RefusedError(
      "NOTHING_TO_WITHDRAW",
      `ModelRegistry ${registry} holds no licence revenue of ${who} in ${token.symbol} (${token.address}): nothing was sent`,
      { account: who, token: token.address },
    );
  }
  out.say(
    `model withdraw-revenue sends ${who} the ${formatToken(pending, token)} of licence revenue ModelRegistry ${registry} credited to it (its shares as a model's provider or a job's researcher); it spends only gas`,
  );
  const transaction = await sendAndWait(out, {
    description: `withdraw ${formatToken(pending, token)} of licence revenue`,
    call: "ModelRegistry.withdrawRevenue",
    send: () => models.withdrawRevenue(token.address),
  });
  const logs = await models.queryFilter(
    models.filters.RevenueWithdrawn(who, token.address),
    transaction.blockNumber,
    transaction.blockNumber,
  );
  const withdrawn = logs.find((log) => log.transactionHash === transaction.hash);
  if (withdrawn === undefined) {
    throw new TributaryError("NO_EVENT", `ModelRegistry emitted no RevenueWithdrawn in ${transaction.hash}`);
  }
  return { account: who, token, amount: withdrawn.args.amount, transaction };
}
