import { type ChannelsDeployment, type SignedVoucher, signVoucher, type TypedDataSigner } from "@tributary/protocol";

/** What a buyer has paid and been served on one channel, in base units. */
export interface ChannelSpending {
  readonly channelId: bigint;
  /** The highest voucher signed. */
  readonly signed: bigint;
  /** The price of the answers received, and of the answers the provider served that the buyer took as owed. */
  readonly served: bigint;
  /** Answers received. */
  readonly requests: number;
  /** Prices of requests whose voucher reached the provider and whose answer never came back. */
  readonly uncertain: bigint;
  /** Of those, what the provider said it served and the buyer took as owed: paid without an answer. */
  readonly unanswered: bigint;
}

/** What a buyer keeps of a channel between sessions (`ChannelPayer.state`, and the constructor's `state`). */
export interface ChannelPayerState {
  readonly served: bigint;
  readonly uncertain: bigint;
  readonly unanswered: bigint;
  readonly signed: bigint;
  readonly requests: number;
}

/**
 * The buyer's side of one channel. One request at a time (`take`, then one of `answered`, `unused`, `lost`): each
 * request's voucher pays everything served before plus its own price (cumulative, as PaymentChannels redeems), so
 * a provider that answers can redeem exactly what it served, and a request that was not answered costs nothing:
 * the next voucher pays the same amount again. For concurrency a buyer holds several channels.
 *
 * When a voucher reached the provider but no answer came back (`lost`), the provider may have served it; the price
 * is kept as uncertain. If the provider later refuses a voucher saying it served more than the buyer received,
 * the buyer takes that as owed only up to what is uncertain (`acknowledge`), and counts it as paid without an
 * answer. Signing needs only an EIP-712 signer: an ethers wallet, or a browser wallet behind ethers'
 * `BrowserProvider`.
 */
export class ChannelPayer {
  #served: bigint;
  #uncertain: bigint;
  #unanswered: bigint;
  #signed: bigint;
  #requests: number;
  /** The price of the request holding the channel, once its voucher is signed. */
  #pending = 0n;
  #busy = false;
  readonly #waiters: (() => void)[] = [];
  #voucher: SignedVoucher | undefined;

  constructor(
    private readonly signer: TypedDataSigner,
    readonly deployment: ChannelsDeployment,
    readonly channelId: bigint,
    /** What was kept from an earlier session; a new channel starts at zero. */
    state: Partial<ChannelPayerState> = {},
  ) {
    this.#served = state.served ?? 0n;
    this.#uncertain = state.uncertain ?? 0n;
    this.#unanswered = state.unanswered ?? 0n;
    this.#signed = state.signed ?? 0n;
    this.#requests = state.requests ?? 0;
  }

  /** Whether no request holds the channel. */
  get idle(): boolean {
    return !this.#busy;
  }

  /** Holds the channel for one request, waiting while another holds it. */
  async take(): Promise<void> {
    while (this.#busy) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#busy = true;
  }

  /** Holds the channel if it is idle; returns whether it did. */
  tryTake(): boolean {
    if (this.#busy) return false;
    this.#busy = true;
    return true;
  }

  /** Resolves once the channel is idle (it may be taken again by then). */
  async whenIdle(): Promise<void> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** The voucher of the request holding the channel: everything served plus `price`. */
  async voucherFor(price: bigint): Promise<SignedVoucher> {
    if (!this.#busy) throw new Error(`take channel ${this.channelId} before signing on it`);
    const amount = this.#served + price;
    this.#pending = price;
    if (this.#voucher?.amount !== amount) {
      const voucher = await signVoucher(this.signer, this.deployment, { channelId: this.channelId, amount });
      this.#voucher = voucher;
      if (amount > this.#signed) this.#signed = amount;
    }
    return this.#voucher as SignedVoucher;
  }

  /** The request was answered: its price is owed. Frees the channel. */
  answered(price: bigint): void {
    this.#served += price;
    this.#requests++;
    this.#free();
  }

  /** The request's voucher was not used, or the provider answered without serving it (a refusal). Frees the channel. */
  unused(): void {
    this.#free();
  }

  /** The voucher reached the provider but no answer came back: it may have been served. Frees the channel. */
  lost(price: bigint): void {
    this.#uncertain += price;
    this.#free();
  }

  /**
   * The provider said it served `owed` on this channel. When that is more than the buyer was served by no more
   * than what is uncertain, the buyer takes it as owed (its next voucher pays it) and returns true.
   */
  acknowledge(owed: bigint): boolean {
    const more = owed - this.#served;
    if (more <= 0n || more > this.#uncertain) return false;
    this.#served = owed;
    this.#uncertain -= more;
    this.#unanswered += more;
    return true;
  }

  /** What to keep for the next session; a request in flight counts as uncertain. */
  state(): ChannelPayerState {
    return {
      served: this.#served,
      uncertain: this.#uncertain + this.#pending,
      unanswered: this.#unanswered,
      signed: this.#signed,
      requests: this.#requests,
    };
  }

  spending(): ChannelSpending {
    return {
      channelId: this.channelId,
      signed: this.#signed,
      served: this.#served,
      requests: this.#requests,
      uncertain: this.#uncertain,
      unanswered: this.#unanswered,
    };
  }

  #free(): void {
    this.#pending = 0n;
    this.#busy = false;
    // Every waiter checks again: one takes the channel, the others wait on.
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
