import type { PaymentChannels } from "@tributary/contracts/typed";
import type { Provider } from "ethers";
import { RefusedError } from "../chain/run-command.js";

const STATUS = ["none", "open", "closing", "closed"] as const;

/** A channel as PaymentChannels holds it, with the chain's time. Amounts in base units. */
export interface ChannelState {
  readonly channelId: bigint;
  readonly buyer: string;
  readonly provider: string;
  readonly token: string;
  readonly status: (typeof STATUS)[number];
  readonly deposit: bigint;
  readonly paid: bigint;
  readonly remaining: bigint;
  readonly expiry: bigint;
  readonly closeDeadline: bigint;
  /** The latest block's timestamp, against which `expiry` and `closeDeadline` are compared. */
  readonly chainTime: bigint;
}

/** Channel `id` of PaymentChannels at the latest block; refuses an id it does not have (`CHANNEL_UNKNOWN`). */
export async function readChannel(provider: Provider, channels: PaymentChannels, id: bigint): Promise<ChannelState> {
  if (id === 0n || id > (await channels.channelCount())) {
    throw new RefusedError("CHANNEL_UNKNOWN", `PaymentChannels ${await channels.getAddress()} has no channel ${id}`);
  }
  const [channel, block] = await Promise.all([channels.getChannel(id), provider.getBlock("latest")]);
  return {
    channelId: id,
    buyer: channel.buyer.toLowerCase(),
    provider: channel.provider.toLowerCase(),
    token: channel.token.toLowerCase(),
    status: STATUS[Number(channel.status)] ?? "none",
    deposit: channel.deposit,
    paid: channel.paid,
    remaining: channel.deposit - channel.paid,
    expiry: channel.expiry,
    closeDeadline: channel.closeDeadline,
    chainTime: BigInt(block?.timestamp ?? 0),
  };
}

/** Unix seconds as an ISO time, for messages. */
export const when = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();
