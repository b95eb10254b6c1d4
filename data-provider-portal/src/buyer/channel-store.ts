import {
  type ChannelPayerState,
  ChannelPayerStateWireSchema,
  payerStateFromWire,
  payerStateToWire,
  resumedPayerState,
} from "@tributary/buyer";
import { connectPaymentChannels } from "@tributary/contracts/typed";
import { AddressSchema, Uint256Schema } from "@tributary/protocol";
import type { Provider } from "ethers";
import { z } from "zod";

const StoredChannelSchema = z.strictObject({
  channelId: Uint256Schema,
  provider: AddressSchema,
  token: AddressSchema,
  state: ChannelPayerStateWireSchema,
});

const StoredChannelsSchema = z.strictObject({ version: z.literal(1), channels: z.array(StoredChannelSchema) });

/** Whose channels: one buyer on one PaymentChannels deployment (as the CLI's `channels-<chain>-<contract>-<buyer>.json`). */
export interface ChannelOwner {
  readonly chainId: number;
  readonly paymentChannels: string;
  readonly buyer: string;
}

/** A channel the buyer opened in this browser and what it paid and was served on it. */
export interface StoredChannel {
  readonly channelId: bigint;
  readonly provider: string;
  readonly token: string;
  readonly state: ChannelPayerState;
}

/** The storage the store writes to: `localStorage` in the page. */
export type KeyValueStorage = Pick<Storage, "getItem" | "setItem">;

/**
 * The buyer's channels in this browser (`localStorage`), so a reload goes on paying on the same channel where it
 * stopped: each channel's `ChannelPayer.state()` (what was served, what is uncertain, the highest voucher signed),
 * written before each voucher leaves and after each answer, as the CLI's state file is. A request in flight when
 * the page closed counts as uncertain, so the next voucher never pays less than the provider may hold.
 */
export class ChannelStore {
  readonly key: string;

  constructor(
    owner: ChannelOwner,
    private readonly storage: KeyValueStorage = localStorage,
  ) {
    this.key = `tributary.channels.v1.${owner.chainId}.${owner.paymentChannels}.${owner.buyer}`.toLowerCase();
  }

  /** Every channel kept; a stored value that does not parse is an error naming the key (nothing is overwritten). */
  all(): StoredChannel[] {
    const text = this.storage.getItem(this.key);
    if (text === null) return [];
    let parsed: z.infer<typeof StoredChannelsSchema>;
    try {
      parsed = StoredChannelsSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new Error(`the channels kept in this browser (${this.key}) do not parse: ${String(error)}`);
    }
    return parsed.channels.map((channel) => ({
      channelId: BigInt(channel.channelId),
      provider: channel.provider.toLowerCase(),
      token: channel.token.toLowerCase(),
      state: payerStateFromWire(channel.state),
    }));
  }

  /** Keeps `channel`, replacing what was kept of the same id. */
  save(channel: StoredChannel): void {
    const others = this.all().filter((kept) => kept.channelId !== channel.channelId);
    const channels = [...others, channel].map((kept) => ({
      channelId: String(kept.channelId),
      provider: kept.provider.toLowerCase(),
      token: kept.token.toLowerCase(),
      state: payerStateToWire(kept.state),
    }));
    this.storage.setItem(this.key, JSON.stringify({ version: 1, channels }));
  }
}

/** PaymentChannels' `Open` status (the `ChannelStatus` enum: None, Open, Closing, Closed). */
const OPEN = 1n;

/**
 * The newest kept channel to `provider` in `token` that is still open on chain, the buyer's and not expired,
 * with its state; its `served` is at least what PaymentChannels already paid the provider. Undefined when none.
 */
export async function resumableChannel(
  store: ChannelStore,
  chain: Provider,
  paymentChannels: string,
  to: { provider: string; token: string; buyer: string },
): Promise<StoredChannel | undefined> {
  const channels = connectPaymentChannels(paymentChannels, chain);
  const block = await chain.getBlock("latest");
  const now = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
  const kept = store
    .all()
    .filter((one) => one.provider === to.provider.toLowerCase() && one.token === to.token.toLowerCase())
    .sort((a, b) => (a.channelId < b.channelId ? 1 : -1));
  for (const candidate of kept) {
    const onChain = await channels.getChannel(candidate.channelId);
    if (
      BigInt(onChain.status) !== OPEN ||
      onChain.buyer.toLowerCase() !== to.buyer.toLowerCase() ||
      BigInt(onChain.expiry) <= now
    ) {
      continue;
    }
    return { ...candidate, state: { ...candidate.state, ...resumedPayerState(candidate.state, BigInt(onChain.paid)) } };
  }
  return undefined;
}
