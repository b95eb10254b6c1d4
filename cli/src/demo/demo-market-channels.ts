import { ChannelPayer } from "@tributary/buyer";
import type { PaymentChannels } from "@tributary/contracts/typed";
import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import type { TokenInfo } from "../chain/spend.js";
import { closeChannel } from "../channel/close-channel.js";
import { openChannel } from "../channel/open-channel.js";
import type { DemoChain } from "./demo-chain.js";

/** How long the buyer's channels run: past the provider's refusal margin (600 s) with room for the requests. */
const CHANNEL_EXPIRES_IN_S = 3_600;

/**
 * The buyer opens `count` channels to `provider` as `channel open` does, `deposit` split evenly between them: a
 * channel carries one request at a time, so the buyer's concurrency is its number of channels. Returns a voucher
 * signer (`ChannelPayer`) for each.
 */
export async function openBuyerChannels(
  out: Output,
  input: {
    readonly chain: DemoChain;
    readonly buyer: Wallet;
    readonly channels: PaymentChannels;
    readonly provider: string;
    readonly token: TokenInfo;
    readonly deposit: bigint;
    readonly count: number;
  },
): Promise<ChannelPayer[]> {
  const { buyer, channels, count } = input;
  const deployment = {
    chainId: BigInt(input.chain.chainId),
    contract: (await channels.getAddress()).toLowerCase() as Address,
  };
  const payers: ChannelPayer[] = [];
  for (let index = 0; index < count; index++) {
    const opened = await openChannel(out, {
      buyer,
      channels,
      provider: input.provider,
      token: input.token,
      deposit: input.deposit / BigInt(count),
      expiresIn: CHANNEL_EXPIRES_IN_S,
      approve: true,
    });
    payers.push(new ChannelPayer(buyer, deployment, opened.channelId));
  }
  return payers;
}

/**
 * The buyer closes its channels as `channel close` does: on the demo's own chain it moves the clock past the
 * latest expiry and starts closing each (`startClose`), then past the latest challenge period and closes each
 * (`finalizeClose`: the rest refunded). On another chain neither can pass now, so the channels stay open and the
 * buyer closes them later.
 */
export async function closeChannelsWhenDue(
  chain: DemoChain,
  out: Output,
  close: { readonly buyer: Wallet; readonly channels: PaymentChannels; readonly channelIds: readonly bigint[] },
): Promise<void> {
  if (!chain.local || close.channelIds.length === 0) return;
  const { buyer, channels, channelIds } = close;
  const latest = async (field: "expiry" | "closeDeadline") => {
    let max = 0n;
    for (const id of channelIds) {
      const value = (await channels.getChannel(id))[field];
      if (value > max) max = value;
    }
    return max;
  };
  out.say(`moving the local chain's clock past the channels' expiry, then past their challenge period`);
  await chain.advanceTimeTo((await latest("expiry")) + 1n);
  for (const channelId of channelIds) await closeChannel(out, { buyer, channels, channelId });
  await chain.advanceTimeTo((await latest("closeDeadline")) + 1n);
  for (const channelId of channelIds) await closeChannel(out, { buyer, channels, channelId });
}
