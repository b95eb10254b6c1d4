import { AddressSchema, parseInput, TributaryError, Uint256Schema } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { type ChainSession, type DeployedContract, withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import {
  addSpendOption,
  formatToken,
  parseTokenAmount,
  SpendOptionsShape,
  TokenAmountSchema,
  type TokenInfo,
  tokenInfo,
} from "../chain/spend.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { type ChannelState, readChannel, when } from "../channel/channel-state.js";
import { closeChannel } from "../channel/close-channel.js";
import { openChannel } from "../channel/open-channel.js";

const base = { ...ChainOptionsShape, ...KeyOptionsShape };
const OpenOptionsSchema = z
  .strictObject({
    ...base,
    ...SpendOptionsShape,
    provider: AddressSchema.optional(),
    model: Uint256Schema.optional(),
    token: z.union([z.literal("TRIB"), AddressSchema]).optional(),
    deposit: TokenAmountSchema,
    expiresIn: z.coerce
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86_400),
  })
  .refine((options) => (options.provider === undefined) !== (options.model === undefined), {
    message: "give exactly one of --provider ADDRESS or --model ID",
  });
const ByIdSchema = z.strictObject({ ...base, id: Uint256Schema });

type Channels = DeployedContract<"PaymentChannels">;

function channelRows(channel: ChannelState, token: TokenInfo): string[][] {
  const show = (amount: bigint) => formatToken(amount, token);
  return [
    [
      "status",
      channel.status,
      channel.status === "closing" ? `challenge period ends ${when(channel.closeDeadline)}` : "",
    ],
    ["buyer", channel.buyer, ""],
    ["provider", channel.provider, ""],
    ["deposit", show(channel.deposit), ""],
    ["paid to the provider", show(channel.paid), "redeemed vouchers"],
    ["remaining", show(channel.remaining), "refunded to the buyer on close"],
    ["expiry", when(channel.expiry), channel.chainTime > channel.expiry ? "expired: the buyer may close" : ""],
  ];
}

async function show(out: Output, chain: ChainSession, channels: Channels, id: bigint) {
  const channel = await readChannel(chain.provider, channels, id);
  const token = await tokenInfo(channel.token, chain.provider);
  out.say(
    `channel ${id} on PaymentChannels ${await channels.getAddress()} (chain ${chain.chainId}, token ${token.symbol}):`,
  );
  out.table(channelRows(channel, token));
  return { channel, token };
}

function runOpen(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(OpenOptionsSchema, raw, "channel open options");
    const wallet = await walletFor("buyer", options, out);
    await withChain(options, context, async (chain) => {
      let providerAddress: string | undefined = options.provider;
      let tokenAddress: string | undefined = options.token === "TRIB" ? undefined : options.token;
      if (options.model !== undefined) {
        const registry = await chain.contract("ModelRegistry");
        if (BigInt(options.model) === 0n || BigInt(options.model) > (await registry.modelCount())) {
          throw new RefusedError("MODEL_UNKNOWN", `ModelRegistry has no model ${options.model}`);
        }
        const model = await registry.getModel(BigInt(options.model));
        providerAddress = model.provider.toLowerCase();
        tokenAddress ??= model.paymentToken;
      }
      const to = providerAddress;
      if (to === undefined) throw new TributaryError("INVALID_INPUT", "give --provider or --model");
      const token = await tokenInfo(tokenAddress ?? (await chain.address("TributaryToken")), chain.provider);
      const deposit = parseTokenAmount(options.deposit, token, "--deposit");
      const channels = await chain.contract("PaymentChannels", wallet);
      const { channelId, transactions } = await openChannel(out, {
        buyer: wallet.connect(chain.provider),
        channels,
        provider: to,
        token,
        deposit,
        expiresIn: options.expiresIn,
        approve: options.approve,
      });
      const shown = await show(out, chain, channels, channelId);
      out.done({ action: "channel open", chainId: chain.chainId, channelId, channel: shown.channel, transactions });
    });
  });
}

function runShow(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ByIdSchema, raw, "channel show options");
    await withChain(options, context, async (chain) => {
      const channels = await chain.contract("PaymentChannels");
      const { channel } = await show(out, chain, channels, BigInt(options.id));
      out.done({ action: "channel show", chainId: chain.chainId, channel });
    });
  });
}

function runClose(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ByIdSchema, raw, "channel close options");
    const wallet = await walletFor("buyer", options, out);
    await withChain(options, context, async (chain) => {
      const channels = await chain.contract("PaymentChannels", wallet);
      const id = BigInt(options.id);
      const { step, transaction } = await closeChannel(out, {
        buyer: wallet.connect(chain.provider),
        channels,
        channelId: id,
      });
      const shown = await show(out, chain, channels, id);
      out.done({
        action: "channel close",
        step,
        chainId: chain.chainId,
        channel: shown.channel,
        transactions: [transaction],
      });
    });
  });
}

/** `tributary channel open|show|close`: an inference buyer's payment channels on PaymentChannels. */
export function registerChannelCommand(program: Command, context: CommandContext = {}): void {
  const channel = program
    .command("channel")
    .description("an inference buyer's payment channels: open one to a provider, show it, close it after expiry");
  const signed = (command: Command) => addKeyOption(addChainOptions(command), "buyer");
  addSpendOption(signed(channel.command("open").description("escrow a deposit for a provider, paid out by vouchers")))
    .option("--provider <address>", "the provider to pay")
    .option("--model <id>", "the ModelRegistry model whose provider to pay (and its payment token)")
    .option("--token <TRIB|address>", "the token (default: the model's payment token, or TRIB)")
    .requiredOption("--deposit <tokens>", "how much to escrow, in tokens (e.g. 100 or 12.5)")
    .option("--expires-in <seconds>", "how long until the buyer may close it", String(7 * 86_400))
    .action((options: Record<string, unknown>) => runOpen(options, context));
  addChainOptions(channel.command("show").description("a channel's deposit, what was paid, its status and expiry"))
    .argument("<id>", "the channel id")
    .action((id: string, options: Record<string, unknown>) => runShow({ ...options, id }, context));
  signed(
    channel.command("close").description("after expiry: start the close; after the challenge period: refund the rest"),
  )
    .argument("<id>", "the channel id")
    .action((id: string, options: Record<string, unknown>) => runClose({ ...options, id }, context));
}
