import type { PaymentChannels } from "@tributary/contracts/typed";
import { TributaryError } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { ensureSpend, formatToken, type SpendReport, type TokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { type ChannelState, readChannel } from "./channel-state.js";

export interface OpenedChannel {
  readonly channelId: bigint;
  readonly channel: ChannelState;
  readonly spend: SpendReport;
  readonly transactions: readonly MinedTransaction[];
}

/**
 * `tributary channel open`'s core: the buyer escrows `deposit` of `token` on PaymentChannels for `provider`, until
 * the chain's time + `expiresIn` seconds. The spend is checked (and approved unless `approve` is false) first
 * (`ensureSpend`); the channel's id is read from its `ChannelOpened` event.
 */
export async function openChannel(
  out: Output,
  input: {
    readonly buyer: Wallet;
    readonly channels: PaymentChannels;
    readonly provider: string;
    readonly token: TokenInfo;
    readonly deposit: bigint;
    readonly expiresIn: number;
    readonly approve: boolean;
  },
): Promise<OpenedChannel> {
  const { buyer, channels, provider, token, deposit } = input;
  const chain = buyer.provider;
  if (chain === null) throw new TypeError("openChannel needs a buyer connected to the chain");
  const spend = await ensureSpend(out, {
    purpose: "channel open",
    token,
    signer: buyer,
    spender: { name: "PaymentChannels", address: await channels.getAddress() },
    amount: deposit,
    approve: input.approve,
  });
  const block = await chain.getBlock("latest");
  const expiry = BigInt(block?.timestamp ?? 0) + BigInt(input.expiresIn);
  const opened = await sendAndWait(out, {
    description: `open a channel to ${provider} with ${formatToken(deposit, token)}`,
    call: "PaymentChannels.open",
    send: () => channels.open(provider, token.address, deposit, expiry),
  });
  const logs = await channels.queryFilter(
    channels.filters.ChannelOpened(undefined, buyer.address, provider),
    opened.blockNumber,
    opened.blockNumber,
  );
  const event = logs.find((log) => log.transactionHash === opened.hash);
  if (event === undefined)
    throw new TributaryError("NO_EVENT", `PaymentChannels emitted no ChannelOpened in ${opened.hash}`);
  const channelId = event.args.channelId;
  return {
    channelId,
    channel: await readChannel(chain, channels, channelId),
    spend,
    transactions: spend.approval === undefined ? [opened] : [spend.approval, opened],
  };
}
