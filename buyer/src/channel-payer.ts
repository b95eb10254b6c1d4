import {
  type ChannelsDeployment,
  type PaymentState,
  type SignedVoucher,
  signVoucher,
  type TypedDataSigner,
} from "@tributary/protocol";

/** What a buyer has committed to and what the provider has confirmed on one channel, in base units. */
export interface ChannelSpending {
  readonly channelId: bigint;
  /** The highest voucher signed: the most the provider can redeem. */
  readonly signed: bigint;
  /** The highest voucher the provider confirmed accepting. */
  readonly accepted: bigint;
  /** The price of what the provider confirmed serving. */
  readonly served: bigint;
  /** Answers received. */
  readonly requests: number;
}

/**
 * The buyer's side of one channel: each request gets a voucher for everything signed before plus its price
 * (cumulative, as PaymentChannels redeems), and every answer's payment state is recorded, so the buyer always knows
 * what it has committed and what was served. Signing needs only an EIP-712 signer: an ethers wallet, or a browser
 * wallet behind ethers' `BrowserProvider`.
 */
export class ChannelPayer {
  #signed: bigint;
  #accepted = 0n;
  #served = 0n;
  #requests = 0;

  constructor(
    private readonly signer: TypedDataSigner,
    readonly deployment: ChannelsDeployment,
    readonly channelId: bigint,
    /** The highest voucher signed on this channel before (0 for a new channel). */
    signedBefore = 0n,
  ) {
    this.#signed = signedBefore;
  }

  /**
   * A voucher paying `price` more than anything signed before. The amount is reserved before the signature is
   * made, so concurrent requests get increasing amounts.
   */
  voucherFor(price: bigint): Promise<SignedVoucher> {
    return this.#sign(this.#signed + price);
  }

  /**
   * A voucher for a request the provider refused as older than one it holds (concurrent requests arrived out of
   * order): one base unit more than anything signed, which covers every request sent, this one included.
   */
  voucherAfterReorder(): Promise<SignedVoucher> {
    return this.#sign(this.#signed + 1n);
  }

  /** Records the provider's payment state from an answer. */
  record(payment: PaymentState, price: bigint): void {
    const accepted = BigInt(payment.accepted);
    if (accepted > this.#accepted) this.#accepted = accepted;
    this.#served += price;
    this.#requests++;
  }

  spending(): ChannelSpending {
    return {
      channelId: this.channelId,
      signed: this.#signed,
      accepted: this.#accepted,
      served: this.#served,
      requests: this.#requests,
    };
  }

  #sign(amount: bigint): Promise<SignedVoucher> {
    this.#signed = amount;
    return signVoucher(this.signer, this.deployment, { channelId: this.channelId, amount });
  }
}
