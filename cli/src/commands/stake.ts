import { connectTributaryToken } from "@tributary/contracts/typed";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import type { Wallet } from "ethers";
import { z } from "zod";
import type { ChainSession, DeployedContract } from "../chain/chain-session.js";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import {
  addSpendOption,
  formatToken,
  parseTokenAmount,
  SpendOptionsShape,
  TokenAmountSchema,
  type TokenInfo,
  tokenInfo,
} from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import { addKeyOption, KeyOptionsShape, optionalWalletFor, walletFor } from "../chain/wallet-options.js";
import { depositStake } from "../provider/deposit-stake.js";

const base = { ...ChainOptionsShape, ...KeyOptionsShape };
const DepositOptionsSchema = z.strictObject({ ...base, ...SpendOptionsShape, amount: TokenAmountSchema });
const UnbondOptionsSchema = z.strictObject({ ...base, amount: TokenAmountSchema });
const WithdrawOptionsSchema = z.strictObject(base);
const ShowOptionsSchema = z.strictObject({ ...base, address: AddressSchema.optional() });

type Staking = DeployedContract<"Staking">;

/** An account's stake as Staking reports it, at the chain's latest block. Amounts in base units. */
interface StakePosition {
  readonly account: string;
  readonly active: bigint;
  readonly locked: bigint;
  /** Active and not locked: what `unbond` may move. */
  readonly free: bigint;
  readonly unbonding: bigint;
  /** Unix seconds; 0 when nothing unbonds. */
  readonly releaseTime: bigint;
  /** The latest block's timestamp, against which `releaseTime` is compared. */
  readonly chainTime: bigint;
  readonly walletBalance: bigint;
  readonly unbondingDelay: bigint;
}

async function readPosition(chain: ChainSession, staking: Staking, token: TokenInfo, account: string) {
  const [active, locked, [unbonding, releaseTime], unbondingDelay, walletBalance, block] = await Promise.all([
    staking.stakeOf(account),
    staking.lockedOf(account),
    staking.unbondingOf(account),
    staking.unbondingDelay(),
    connectTributaryToken(token.address, chain.provider).balanceOf(account),
    chain.provider.getBlock("latest"),
  ]);
  const chainTime = BigInt(block?.timestamp ?? 0);
  const position: StakePosition = {
    account: account.toLowerCase(),
    active,
    locked,
    free: active - locked,
    unbonding,
    releaseTime,
    chainTime,
    walletBalance,
    unbondingDelay,
  };
  return position;
}

function when(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** The position as table rows for people. */
function positionRows(position: StakePosition, token: TokenInfo): string[][] {
  const show = (amount: bigint) => formatToken(amount, token);
  const release =
    position.unbonding === 0n
      ? ""
      : position.releaseTime <= position.chainTime
        ? "withdrawable now"
        : `withdrawable from ${when(position.releaseTime)}`;
  return [
    ["active stake", show(position.active), "locked included"],
    ["locked", show(position.locked), "by registered models; cannot be unbonded"],
    ["free", show(position.free), "can be unbonded"],
    ["unbonding", show(position.unbonding), release],
    ["in the wallet", show(position.walletBalance), ""],
    ["unbonding delay", `${position.unbondingDelay} s (${Number(position.unbondingDelay) / 86_400} days)`, ""],
  ];
}

/** The staking contract, its token, and `wallet` connected to the chain (the signer of the command). */
async function stakingFor(chain: ChainSession, wallet: Wallet) {
  const staking = await chain.contract("Staking", wallet);
  const token = await tokenInfo(await staking.stakingToken(), chain.provider);
  return { staking, token, signer: wallet.connect(chain.provider) };
}

/** Prints the result line (JSON) or the position table after a transaction. */
async function finish(
  out: Output,
  chain: ChainSession,
  context: { staking: Staking; token: TokenInfo; account: string; action: string },
  result: Record<string, unknown>,
): Promise<void> {
  const position = await readPosition(chain, context.staking, context.token, context.account);
  out.say(`stake of ${context.account} now:`);
  out.table(positionRows(position, context.token));
  out.done({ action: context.action, chainId: chain.chainId, token: context.token, ...result, position });
}

function runDeposit(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(DepositOptionsSchema, raw, "stake deposit options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const { staking, token, signer } = await stakingFor(chain, wallet);
      const amount = parseTokenAmount(options.amount, token, "--amount");
      const { spend, transactions } = await depositStake(out, {
        staker: signer,
        staking,
        token,
        amount,
        approve: options.approve,
      });
      await finish(
        out,
        chain,
        { staking, token, account: signer.address, action: "stake deposit" },
        {
          amount,
          spend,
          transactions,
        },
      );
    });
  });
}

function runUnbond(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(UnbondOptionsSchema, raw, "stake unbond options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const { staking, token, signer } = await stakingFor(chain, wallet);
      const amount = parseTokenAmount(options.amount, token, "--amount");
      const delay = await staking.unbondingDelay();
      out.say(
        `stake unbond moves ${formatToken(amount, token)} of ${signer.address}'s free stake into unbonding; all of its unbonding stake becomes withdrawable ${delay} s after this request (a new request restarts the delay); it spends only gas`,
      );
      const unbond = await sendAndWait(out, {
        description: `unbond ${formatToken(amount, token)}`,
        call: "Staking.requestUnstake",
        send: () => staking.requestUnstake(amount),
      });
      await finish(
        out,
        chain,
        { staking, token, account: signer.address, action: "stake unbond" },
        {
          amount,
          transactions: [unbond],
        },
      );
    });
  });
}

function runWithdraw(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(WithdrawOptionsSchema, raw, "stake withdraw options");
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const { staking, token, signer } = await stakingFor(chain, wallet);
      const [unbonding] = await staking.unbondingOf(signer.address);
      out.say(
        `stake withdraw sends ${signer.address}'s unbonded ${formatToken(unbonding, token)} back to it once its release time has passed; it spends only gas`,
      );
      const withdraw = await sendAndWait(out, {
        description: `withdraw ${formatToken(unbonding, token)}`,
        call: "Staking.withdraw",
        send: () => staking.withdraw(),
      });
      await finish(
        out,
        chain,
        { staking, token, account: signer.address, action: "stake withdraw" },
        {
          amount: unbonding,
          transactions: [withdraw],
        },
      );
    });
  });
}

function runShow(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ShowOptionsSchema, raw, "stake show options");
    const account = options.address ?? (await optionalWalletFor("provider", options, out))?.address.toLowerCase();
    if (account === undefined) {
      throw new TributaryError("INVALID_INPUT", "give --address ADDR, or --keystore FILE or TRIBUTARY_PROVIDER_KEY");
    }
    await withChain(options, context, async (chain) => {
      const staking = await chain.contract("Staking");
      const token = await tokenInfo(await staking.stakingToken(), chain.provider);
      const position = await readPosition(chain, staking, token, account);
      out.say(
        `stake of ${account} on chain ${chain.chainId} (Staking ${await staking.getAddress()}, token ${token.symbol} ${token.address}):`,
      );
      out.table(positionRows(position, token));
      out.done({ action: "stake show", chainId: chain.chainId, token, position });
    });
  });
}

/** `tributary stake deposit|unbond|withdraw|show`: a provider's stake on Staking. */
export function registerStakeCommand(program: Command, context: CommandContext = {}): void {
  const stake = program
    .command("stake")
    .description("stake TRIB on Staking (providers and re-executors), unbond it and withdraw it");
  const signed = (command: Command) => addKeyOption(addChainOptions(command), "provider");
  addSpendOption(
    signed(stake.command("deposit").description("stake tokens (approves exactly the amount first when needed)")),
  )
    .requiredOption("--amount <tokens>", "how much to stake, in tokens (e.g. 1000 or 12.5)")
    .action((options: Record<string, unknown>) => runDeposit(options, context));
  signed(stake.command("unbond").description("start unbonding free stake; withdrawable after the unbonding delay"))
    .requiredOption("--amount <tokens>", "how much to unbond, in tokens")
    .action((options: Record<string, unknown>) => runUnbond(options, context));
  signed(stake.command("withdraw").description("withdraw stake whose unbonding delay has passed")).action(
    (options: Record<string, unknown>) => runWithdraw(options, context),
  );
  signed(stake.command("show").description("an account's active, locked, free and unbonding stake"))
    .option("--address <address>", "the account to show (default: the key's)")
    .action((options: Record<string, unknown>) => runShow(options, context));
}
