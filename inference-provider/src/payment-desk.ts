import type { SignedVoucher } from "@tributary/protocol";
import type { ChannelBook } from "./channel-book.js";
import { type Acceptance, PaymentRefusedError, type VoucherLedger } from "./voucher-ledger.js";

/**
 * Takes a request's voucher: the channel and the chain's time from the book (cached), the ledger's rules, and one
 * fresh read of the channel when the refusal is one a top-up could lift.
 */
export class PaymentDesk {
  constructor(
    private readonly book: ChannelBook,
    private readonly ledger: VoucherLedger,
  ) {}

  async accept(voucher: SignedVoucher, price: bigint): Promise<Acceptance> {
    const [channel, now] = await Promise.all([this.book.channel(voucher.channelId), this.book.now()]);
    try {
      return this.ledger.accept(voucher, price, channel, now);
    } catch (error) {
      if (!(error instanceof PaymentRefusedError) || !error.refreshable) throw error;
      const [fresh, freshNow] = await Promise.all([this.book.channel(voucher.channelId, true), this.book.now()]);
      return this.ledger.accept(voucher, price, fresh, freshNow);
    }
  }
}

/** A request that needed a voucher came without one. */
export function paymentRequired(price: bigint): PaymentRefusedError {
  return new PaymentRefusedError(
    "PAYMENT_REQUIRED",
    `this request costs ${price}: send a voucher (payment) on a channel to this provider`,
    { price: price.toString() },
  );
}
