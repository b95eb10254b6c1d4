import type { PaymentChannels } from "@tributary/contracts/typed";
import type { Provider } from "ethers";

/** A channel as PaymentChannels holds it, with addresses in lower case. */
export interface ChannelView {
  readonly channelId: bigint;
  readonly buyer: string;
  readonly provider: string;
  readonly token: string;
  readonly status: "open" | "closing" | "closed";
  /** Unix seconds after which the buyer may start closing. */
  readonly expiry: bigint;
  readonly deposit: bigint;
  /** What has been redeemed on chain so far. */
  readonly paid: bigint;
}

const STATUS = ["none", "open", "closing", "closed"] as const;

export interface ChannelBookOptions {
  /** How long a channel read (and the chain's time) is trusted before it is read again, in milliseconds. */
  readonly ttlMs: number;
}

/**
 * The provider's view of PaymentChannels: each channel read once and kept for `ttlMs` (reads of one channel in
 * flight are shared), and the chain's time (the latest block's timestamp plus the time since it was read), so a
 * paid request costs no RPC call in the common case. A refusal that a newer read could lift (a top-up, a later
 * expiry) reads again with `fresh`.
 */
export class ChannelBook {
  readonly #channels = new Map<bigint, { at: number; view: Promise<ChannelView | undefined> }>();
  #time: { at: number; timestamp: Promise<bigint> } | undefined;

  constructor(
    private readonly contract: PaymentChannels,
    private readonly provider: Provider,
    private readonly options: ChannelBookOptions,
  ) {}

  /** The channel, or `undefined` when PaymentChannels has no such channel. */
  channel(channelId: bigint, fresh = false): Promise<ChannelView | undefined> {
    const cached = this.#channels.get(channelId);
    if (!fresh && cached !== undefined && Date.now() - cached.at <= this.options.ttlMs) return cached.view;
    const view = this.#read(channelId);
    this.#channels.set(channelId, { at: Date.now(), view });
    view.catch(() => this.#channels.delete(channelId));
    return view;
  }

  /** The chain's current time in unix seconds, as the next block would see it (within `ttlMs` of a read). */
  async now(): Promise<bigint> {
    const at = Date.now();
    if (this.#time === undefined || at - this.#time.at > this.options.ttlMs) {
      const timestamp = this.provider.getBlock("latest").then((block) => BigInt(block?.timestamp ?? 0));
      this.#time = { at, timestamp };
      timestamp.catch(() => {
        this.#time = undefined;
      });
    }
    const { at: readAt, timestamp } = this.#time;
    return (await timestamp) + BigInt(Math.floor((Date.now() - readAt) / 1000));
  }

  async #read(channelId: bigint): Promise<ChannelView | undefined> {
    if (channelId === 0n || channelId > (await this.contract.channelCount())) return undefined;
    const channel = await this.contract.getChannel(channelId);
    return {
      channelId,
      buyer: channel.buyer.toLowerCase(),
      provider: channel.provider.toLowerCase(),
      token: channel.token.toLowerCase(),
      status: STATUS[Number(channel.status)] as ChannelView["status"],
      expiry: channel.expiry,
      deposit: channel.deposit,
      paid: channel.paid,
    };
  }
}
