import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken, parseTokenAmount, TokenAmountSchema, type TokenInfo, tokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { addKeyOption, KeyOptionsShape, optionalWalletFor, walletFor } from "../chain/wallet-options.js";

const base = { ...ChainOptionsShape, ...KeyOptionsShape };
const BalanceOptionsSchema = z.strictObject({ ...base, address: AddressSchema.optional() });
const DelegateOptionsSchema = z.strictObject({ ...base, to: AddressSchema.optional() });
const TransferOptionsSchema = z
  .strictObject({
    ...base,
    to: AddressSchema,
    amount: TokenAmountSchema.optional(),
    ether: TokenAmountSchema.optional(),
  })
  .refine((options) => options.amount !== undefined || options.ether !== undefined, {
    message: "give --amount TRIB, --ether ETH or both: there is nothing to send",
    path: ["amount"],
  });

/** An account's TRIB as TributaryToken reports it: balance, voting power, and whom its votes go to. */
async function holding(chain: ChainSession, account: string) {
  const token = await chain.contract("TributaryToken");
  const [info, balance, votes, delegate] = await Promise.all([
    tokenInfo(await token.getAddress(), chain.provider),
    token.balanceOf(account),
    token.getVotes(account),
    token.delegates(account),
  ]);
  return { token: info, account, balance, votes, delegate: delegate === ZeroAddress ? null : delegate.toLowerCase() };
}

type Holding = Awaited<ReturnType<typeof holding>>;

function holdingRows(held: Holding): string[][] {
  const delegate =
    held.delegate === null
      ? "nobody: its tokens count for no votes until it delegates (`tributary token delegate` delegates to itself)"
      : held.delegate === held.account
        ? `${held.delegate} (itself)`
        : held.delegate;
  return [
    ["balance", formatToken(held.balance, held.token)],
    ["voting power", `${formatToken(held.votes, held.token)} (delegated to this account)`],
    ["votes go to", delegate],
  ];
}

function runBalance(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(BalanceOptionsSchema, raw, "token balance options");
    const account = options.address ?? (await optionalWalletFor("voter", options, out))?.address.toLowerCase();
    if (account === undefined) {
      throw new TributaryError("INVALID_INPUT", "give --address ADDR, or --keystore FILE or TRIBUTARY_VOTER_KEY");
    }
    await withChain(options, context, async (chain) => {
      const held = await holding(chain, account);
      out.say(`${held.token.symbol} (${held.token.address}) of ${account} on chain ${chain.chainId}:`);
      out.table(holdingRows(held));
      out.done({ action: "token balance", chainId: chain.chainId, ...held });
    });
  });
}

function runDelegate(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DelegateOptionsSchema, raw, "token delegate options");
    const wallet = await walletFor("voter", options, out);
    await withChain(options, context, async (chain) => {
      const token = await chain.contract("TributaryToken", wallet);
      const self = wallet.address.toLowerCase();
      const to = options.to ?? self;
      const before = await holding(chain, self);
      out.say(
        `token delegate gives the voting power of ${self}'s ${formatToken(before.balance, before.token)} (and of what it receives later) to ${to === self ? `${to} (itself)` : to}; it moves no tokens and spends only gas`,
      );
      const delegation = await sendAndWait(out, {
        description: `delegate votes to ${to}`,
        call: `${before.token.symbol}.delegate`,
        send: () => token.delegate(to),
      });
      const after = await holding(chain, self);
      const votes = await token.getVotes(to);
      out.say(`${to} now has ${formatToken(votes, after.token)} of voting power`);
      out.table(holdingRows(after));
      out.done({
        action: "token delegate",
        chainId: chain.chainId,
        ...after,
        delegatee: { address: to, votes },
        transactions: [delegation],
      });
    });
  });
}

/** The chain's native currency, as `formatToken` and `parseTokenAmount` take an amount of it. */
const ETHER: TokenInfo = { address: ZeroAddress, symbol: "ETH", decimals: 18 };

/**
 * `tributary token transfer --to ADDR [--amount TRIB] [--ether ETH]`: how a holder (the deployer, who received the
 * whole initial supply) hands out TRIB, and ether for gas, to the people who will use them. Refuses a short balance
 * of either before anything is sent.
 */
function runTransfer(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(TransferOptionsSchema, raw, "token transfer options");
    const wallet = await walletFor("voter", options, out);
    await withChain(options, context, async (chain) => {
      const token = await chain.contract("TributaryToken", wallet);
      const info = await tokenInfo(await token.getAddress(), chain.provider);
      const self = wallet.address.toLowerCase();
      const amount = options.amount === undefined ? 0n : parseTokenAmount(options.amount, info, "--amount");
      const ether = options.ether === undefined ? 0n : parseTokenAmount(options.ether, ETHER, "--ether");
      const [balance, etherBalance] = await Promise.all([token.balanceOf(self), chain.provider.getBalance(self)]);
      const sending = [
        ...(amount > 0n ? [formatToken(amount, info)] : []),
        ...(ether > 0n ? [formatToken(ether, ETHER)] : []),
      ];
      out.say(
        `token transfer sends ${sending.join(" and ")} from ${self} (holding ${formatToken(balance, info)} and ${formatToken(etherBalance, ETHER)}) to ${options.to}; gas is paid in ether`,
      );
      if (balance < amount) {
        throw new RefusedError(
          "INSUFFICIENT_BALANCE",
          `token transfer needs ${formatToken(amount, info)} but ${self} holds ${formatToken(balance, info)}: ${formatToken(amount - balance, info)} more needed`,
          { token: info.address, symbol: info.symbol, needed: amount, have: balance, missing: amount - balance },
        );
      }
      if (etherBalance < ether) {
        throw new RefusedError(
          "INSUFFICIENT_FUNDS",
          `token transfer needs ${formatToken(ether, ETHER)} besides gas but ${self} holds ${formatToken(etherBalance, ETHER)}`,
          { needed: ether, have: etherBalance, missing: ether - etherBalance },
        );
      }
      const transactions: MinedTransaction[] = [];
      if (amount > 0n) {
        transactions.push(
          await sendAndWait(out, {
            description: `transfer ${formatToken(amount, info)} to ${options.to}`,
            call: `${info.symbol}.transfer`,
            send: () => token.transfer(options.to, amount),
          }),
        );
      }
      if (ether > 0n) {
        transactions.push(
          await sendAndWait(out, {
            description: `send ${formatToken(ether, ETHER)} to ${options.to}`,
            call: "ether transfer",
            send: () => wallet.connect(chain.provider).sendTransaction({ to: options.to, value: ether }),
          }),
        );
      }
      const [received, receivedEther] = await Promise.all([
        token.balanceOf(options.to),
        chain.provider.getBalance(options.to),
      ]);
      out.done(
        {
          action: "token transfer",
          chainId: chain.chainId,
          from: self,
          to: options.to,
          token: info,
          amount,
          ether,
          balance: received,
          etherBalance: receivedEther,
          transactions,
        },
        [`${options.to} now holds ${formatToken(received, info)} and ${formatToken(receivedEther, ETHER)}`],
      );
    });
  });
}

/** `tributary token balance|delegate|transfer`: TRIB holdings and the delegation of their votes (TributaryToken, ERC20Votes). */
export function registerTokenCommand(program: Command, context: CommandContext = {}): void {
  const token = program.command("token").description("TRIB balance, voting power, vote delegation and transfers");
  addKeyOption(addChainOptions(token.command("balance").description("an account's TRIB, votes and delegate")), "voter")
    .option("--address <address>", "the account to show (default: the key's)")
    .action((options: Record<string, unknown>) => runBalance(options, context));
  addKeyOption(
    addChainOptions(
      token.command("delegate").description("delegate the key's TRIB votes (to itself by default), so they count"),
    ),
    "voter",
  )
    .option("--to <address>", "the delegatee (default: the key's own address)")
    .action((options: Record<string, unknown>) => runDelegate(options, context));
  addKeyOption(
    addChainOptions(
      token
        .command("transfer")
        .description("send TRIB (--amount) and/or ether for gas (--ether) from the key's account"),
    ),
    "voter",
  )
    .requiredOption("--to <address>", "the receiving account")
    .option("--amount <TRIB>", "TRIB to send, e.g. 1000 or 12.5")
    .option("--ether <ETH>", "ether (the chain's native currency, for gas) to send, e.g. 0.5")
    .action((options: Record<string, unknown>) => runTransfer(options, context));
}
