import { type ChannelsDeployment, type SignedVoucher, TributaryError } from "@tributary/protocol";
import type { ChannelView } from "./channel-book.js";
import { VoucherVerifier } from "./voucher-verifier.js";

/** What the provider holds for one channel. Amounts in the channel token's base units. */
export interface ChannelAccount {
  /** The highest voucher accepted (cumulative): what can be redeemed. */
  accepted: bigint;
  /** Its signature. */
  signature: string;
  /** The price of everything served on the channel. */
  owed: bigint;
  /** What this provider has redeemed on chain. */
  redeemed: bigint;
}

export type PaymentRefusal =
  | "PAYMENT_REQUIRED"
  | "VOUCHER_WRONG_CHAIN"
  | "VOUCHER_WRONG_CONTRACT"
  | "CHANNEL_UNKNOWN"
  | "CHANNEL_FOREIGN"
  | "CHANNEL_WRONG_TOKEN"
  | "CHANNEL_NOT_OPEN"
  | "CHANNEL_EXPIRED"
  | "CHANNEL_EXHAUSTED"
  | "VOUCHER_REPLAYED"
  | "VOUCHER_STALE"
  | "VOUCHER_UNDERPAID"
  | "VOUCHER_BAD_SIGNATURE";

/** Refusals a newer read of the channel could lift (a top-up raises the deposit and may extend the expiry). */
const REFRESHABLE = new Set<PaymentRefusal>(["CHANNEL_EXPIRED", "CHANNEL_EXHAUSTED", "CHANNEL_UNKNOWN"]);

/** A request's payment was refused (HTTP 402): the code says which rule, the message what to do. */
export class PaymentRefusedError extends TributaryError {
  constructor(
    readonly refusal: PaymentRefusal,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(refusal, message, { details });
  }

  /** Whether reading the channel again could change the answer. */
  get refreshable(): boolean {
    return REFRESHABLE.has(this.refusal);
  }
}

export interface LedgerTerms {
  readonly deployment: ChannelsDeployment;
  /** This provider's address, lower case: every channel must pay it. */
  readonly provider: string;
  /** The model's payment token, lower case: every channel must hold it. */
  readonly paymentToken: string;
  /** A channel is refused this many seconds before its expiry, so the last vouchers can still be redeemed. */
  readonly expiryMarginS: bigint;
}

export interface Acceptance {
  readonly channelId: bigint;
  readonly accepted: bigint;
  readonly owed: bigint;
  /** Gives the price back when the request could not be served (the voucher stays the highest held). */
  release(): void;
}

/**
 * The provider's rules for vouchers, checked off chain before anything is served: the voucher names this chain and
 * PaymentChannels contract; the channel exists, pays this provider in the model's token, is open and not (nearly)
 * expired; the amount is higher than any voucher accepted before on the channel (a replay or an older voucher is
 * refused), covers everything served on it plus this request, and fits the deposit; and the signature is the
 * channel buyer's, computed exactly as PaymentChannels computes it. `accept` is synchronous, so concurrent requests
 * on one channel are checked one after another against the same state.
 */
export class VoucherLedger {
  readonly #verifier: VoucherVerifier;

  constructor(
    private readonly terms: LedgerTerms,
    readonly accounts: Map<string, ChannelAccount>,
  ) {
    this.#verifier = new VoucherVerifier(terms.deployment);
  }

  /** Checks `voucher` as payment of `price` at chain time `now`; records it, or throws `PaymentRefusedError`. */
  accept(voucher: SignedVoucher, price: bigint, channel: ChannelView | undefined, now: bigint): Acceptance {
    const { deployment, provider, paymentToken, expiryMarginS } = this.terms;
    const id = voucher.channelId;
    const refuse = (code: PaymentRefusal, message: string, details: Record<string, unknown> = {}) =>
      new PaymentRefusedError(code, message, { channelId: id.toString(), ...details });
    if (voucher.chainId !== deployment.chainId) {
      throw refuse(
        "VOUCHER_WRONG_CHAIN",
        `the voucher is signed for chain ${voucher.chainId}; this provider is paid on chain ${deployment.chainId}`,
      );
    }
    if (voucher.contract !== deployment.contract) {
      throw refuse(
        "VOUCHER_WRONG_CONTRACT",
        `the voucher is signed for PaymentChannels ${voucher.contract}; this provider is paid through ${deployment.contract}`,
      );
    }
    if (channel === undefined) throw refuse("CHANNEL_UNKNOWN", `PaymentChannels has no channel ${id}`);
    if (channel.provider !== provider) {
      throw refuse("CHANNEL_FOREIGN", `channel ${id} pays ${channel.provider}, not this provider (${provider})`);
    }
    if (channel.token !== paymentToken) {
      throw refuse(
        "CHANNEL_WRONG_TOKEN",
        `channel ${id} holds token ${channel.token}; this model is paid in ${paymentToken}`,
      );
    }
    if (channel.status !== "open") throw refuse("CHANNEL_NOT_OPEN", `channel ${id} is ${channel.status}`);
    if (now + expiryMarginS >= channel.expiry) {
      throw refuse(
        "CHANNEL_EXPIRED",
        `channel ${id} expires at ${channel.expiry} (chain time ${now}, margin ${expiryMarginS} s): top it up with a later expiry or open another`,
        { expiry: channel.expiry.toString(), now: now.toString() },
      );
    }
    const account = this.accounts.get(id.toString());
    const accepted = account?.accepted ?? 0n;
    const owed = account?.owed ?? 0n;
    const amounts = { accepted: accepted.toString(), owed: owed.toString(), price: price.toString() };
    if (voucher.amount === accepted && account !== undefined) {
      throw refuse("VOUCHER_REPLAYED", `a voucher for ${accepted} on channel ${id} was already accepted`, amounts);
    }
    if (voucher.amount < accepted) {
      throw refuse(
        "VOUCHER_STALE",
        `the voucher for ${voucher.amount} is older than the one accepted on channel ${id} (${accepted}); vouchers are cumulative`,
        amounts,
      );
    }
    if (voucher.amount < owed + price) {
      throw refuse(
        "VOUCHER_UNDERPAID",
        `the voucher for ${voucher.amount} does not cover what channel ${id} owes with this request: ${owed} served + ${price} = ${owed + price}`,
        { ...amounts, required: (owed + price).toString() },
      );
    }
    if (owed + price > channel.deposit) {
      throw refuse(
        "CHANNEL_EXHAUSTED",
        `channel ${id} holds ${channel.deposit}, less than ${owed + price} (served ${owed} + this request ${price}): top it up`,
        { ...amounts, deposit: channel.deposit.toString() },
      );
    }
    if (!this.#verifier.signedBy(voucher, channel.buyer)) {
      throw refuse("VOUCHER_BAD_SIGNATURE", `the voucher is not signed by channel ${id}'s buyer ${channel.buyer}`);
    }
    const entry = account ?? { accepted: 0n, signature: "", owed: 0n, redeemed: 0n };
    entry.accepted = voucher.amount;
    entry.signature = voucher.signature;
    entry.owed = owed + price;
    this.accounts.set(id.toString(), entry);
    let released = false;
    return {
      channelId: id,
      accepted: entry.accepted,
      owed: entry.owed,
      release: () => {
        if (released) return;
        released = true;
        entry.owed -= price;
      },
    };
  }
}
