import { type ChannelsDeployment, type SignedVoucher, TributaryError } from "@tributary/protocol";
import type { ChannelView } from "./channel-book.js";
import { VoucherVerifier } from "./voucher-verifier.js";

/** What the provider keeps on disk for one channel. Amounts in the channel token's base units. */
export interface ChannelAccount {
  /**
   * The highest voucher received on the channel whose amount is at most `served`: what can be redeemed, and never
   * more than the answers delivered.
   */
  redeemable: bigint;
  /** Its signature ("" while nothing is redeemable). */
  signature: string;
  /** The price of every answer delivered on the channel (handed to the network before it counts). */
  served: bigint;
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
  /** The voucher's amount. */
  readonly accepted: bigint;
  /** What the channel owes once this answer is delivered: everything served, in flight and this request. */
  readonly owed: bigint;
  /**
   * The answer was delivered: its price counts as served, and the highest voucher of the channel within what was
   * served becomes redeemable. The account changed: save it.
   */
  settle(): void;
  /** The request was not answered: its price is no longer reserved, and its voucher pays for nothing. */
  release(): void;
}

/** What the ledger holds in memory for a channel besides its account. */
interface ChannelFlight {
  /** The prices of requests accepted and not yet delivered or released. */
  reserved: bigint;
  /** Vouchers received above `redeemable`, by amount: one may become redeemable once enough is served. */
  readonly pending: Map<bigint, string>;
  /** Loaded from disk and not paid on since: the buyer's next voucher may say it was served more (below). */
  resumed: boolean;
}

/**
 * The provider's rules for vouchers, checked off chain before anything is served: the voucher names this chain and
 * PaymentChannels contract; the channel exists, pays this provider in the model's token, is open and not (nearly)
 * expired; the amount covers everything served on it, everything in flight and this request, and fits the
 * deposit; and the signature is the channel buyer's, computed exactly as PaymentChannels computes it. `accept` is
 * synchronous, so concurrent requests on one channel are checked one after another against the same state.
 *
 * A voucher pays for one answer: once its request is answered, what was served grows by the price, so the same
 * voucher no longer covers another request. A voucher whose request was never answered (refused, failed, or
 * its answer never delivered) pays for nothing and may come again. What the provider can redeem is the highest
 * voucher received whose amount is at most what it served, so a buyer is never charged for an answer it did not
 * get, whatever failed. After a restart the first voucher on a channel may be higher than what the provider knows
 * it served (an answer delivered just before a crash, whose record was lost): the buyer's voucher is then taken as
 * its acknowledgement (`served` becomes amount − price), which makes the provider whole.
 */
export class VoucherLedger {
  readonly #verifier: VoucherVerifier;
  readonly #flights = new Map<string, ChannelFlight>();

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
    const key = id.toString();
    const account = this.accounts.get(key);
    const flight = this.#flights.get(key);
    const redeemable = account?.redeemable ?? 0n;
    const reserved = flight?.reserved ?? 0n;
    // After a restart, the buyer's voucher acknowledges what it was served (all of it but this request's price).
    const acknowledged = account !== undefined && flight?.resumed !== false && reserved === 0n;
    const served = acknowledged ? max(account.served, voucher.amount - price) : (account?.served ?? 0n);
    const required = served + reserved + price;
    const amounts = {
      accepted: redeemable.toString(),
      owed: served.toString(),
      reserved: reserved.toString(),
      price: price.toString(),
      required: required.toString(),
    };
    if (voucher.amount < required) {
      if (account !== undefined && account.signature !== "" && voucher.amount === redeemable) {
        throw refuse("VOUCHER_REPLAYED", `the voucher for ${redeemable} on channel ${id} has paid already`, amounts);
      }
      if (voucher.amount < redeemable) {
        throw refuse(
          "VOUCHER_STALE",
          `the voucher for ${voucher.amount} is older than the one held on channel ${id} (${redeemable}); vouchers are cumulative`,
          amounts,
        );
      }
      throw refuse(
        "VOUCHER_UNDERPAID",
        `the voucher for ${voucher.amount} does not cover what channel ${id} owes with this request: ${served} served + ${reserved} in flight + ${price} = ${required}`,
        amounts,
      );
    }
    if (required > channel.deposit) {
      throw refuse(
        "CHANNEL_EXHAUSTED",
        `channel ${id} holds ${channel.deposit}, less than ${required} (served ${served} + in flight ${reserved} + this request ${price}): top it up`,
        { ...amounts, deposit: channel.deposit.toString() },
      );
    }
    if (!this.#verifier.signedBy(voucher, channel.buyer)) {
      throw refuse("VOUCHER_BAD_SIGNATURE", `the voucher is not signed by channel ${id}'s buyer ${channel.buyer}`);
    }
    const entry = account ?? { redeemable: 0n, signature: "", served: 0n, redeemed: 0n };
    entry.served = served;
    this.accounts.set(key, entry);
    const state = flight ?? { reserved: 0n, pending: new Map<bigint, string>(), resumed: false };
    state.resumed = false;
    state.reserved += price;
    state.pending.set(voucher.amount, voucher.signature);
    this.#flights.set(key, state);
    let done = false;
    return {
      channelId: id,
      accepted: voucher.amount,
      owed: required,
      settle: () => {
        if (done) return;
        done = true;
        state.reserved -= price;
        entry.served += price;
        promote(entry, state);
      },
      release: () => {
        if (done) return;
        done = true;
        state.reserved -= price;
      },
    };
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Makes the highest pending voucher within what was served redeemable; drops the vouchers it supersedes. */
function promote(account: ChannelAccount, flight: ChannelFlight): void {
  let best: bigint | undefined;
  for (const amount of flight.pending.keys()) {
    if (amount <= account.served && amount > account.redeemable && (best === undefined || amount > best)) best = amount;
  }
  if (best !== undefined) {
    account.redeemable = best;
    account.signature = flight.pending.get(best) as string;
  }
  for (const amount of flight.pending.keys()) if (amount <= account.redeemable) flight.pending.delete(amount);
}
