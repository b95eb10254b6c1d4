import { type SignedVoucher, signVoucher } from "@tributary/protocol";
import { hexlify, randomBytes, Wallet } from "ethers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChannelView } from "./channel-book.js";
import { type ChannelAccount, PaymentRefusedError, VoucherLedger } from "./voucher-ledger.js";

const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };
const provider = `0x${"34".repeat(20)}`;
const token = `0x${"56".repeat(20)}`;
const buyer = new Wallet(hexlify(randomBytes(32)));
const channel: ChannelView = {
  channelId: 1n,
  buyer: buyer.address.toLowerCase(),
  provider,
  token,
  status: "open",
  expiry: 10_000n,
  deposit: 1_000n,
  paid: 0n,
};
const PRICE = 100n;

/** The buyer's vouchers on channel 1, by amount. */
const vouchers = new Map<bigint, SignedVoucher>();
const voucher = (amount: bigint) => vouchers.get(amount) as SignedVoucher;

beforeAll(async () => {
  for (const amount of [100n, 200n, 300n, 350n, 400n, 500n, 700n, 1_100n]) {
    vouchers.set(amount, await signVoucher(buyer, deployment, { channelId: 1n, amount }));
  }
});

const ledgerOver = (accounts: Map<string, ChannelAccount>) =>
  new VoucherLedger({ deployment, provider, paymentToken: token, expiryMarginS: 60n }, accounts);

/** The refusal's code, or "accepted" (the acceptance is then released). */
function outcome(ledger: VoucherLedger, amount: bigint): string {
  try {
    ledger.accept(voucher(amount), PRICE, channel, 0n).release();
    return "accepted";
  } catch (error) {
    if (error instanceof PaymentRefusedError) return error.refusal;
    throw error;
  }
}

describe("VoucherLedger", () => {
  it("redeems only vouchers within what was delivered, whatever fails, and lets an unanswered voucher pay again", () => {
    const accounts = new Map<string, ChannelAccount>();
    const ledger = ledgerOver(accounts);
    const account = () => accounts.get("1") as ChannelAccount;
    // Three requests of 100 in flight at once, each voucher covering the ones before it.
    const a = ledger.accept(voucher(100n), PRICE, channel, 0n);
    const b = ledger.accept(voucher(200n), PRICE, channel, 0n);
    const c = ledger.accept(voucher(300n), PRICE, channel, 0n);
    // b is delivered first: 100 served, and the voucher for 100 (a's) is what can be redeemed, not b's 200.
    b.settle();
    expect([account().served, account().redeemable]).toEqual([100n, 100n]);
    // a is never answered; c is delivered: 200 served, the voucher for 200 redeemable, never 300, which covers a.
    a.release();
    c.settle();
    expect([account().served, account().redeemable]).toEqual([200n, 200n]);
    expect(account().signature).toBe(voucher(200n).signature);
    // The buyer, served 200, pays 300 for its next request: a's 100 was never charged.
    ledger.accept(voucher(300n), PRICE, channel, 0n).settle();
    expect([account().served, account().redeemable]).toEqual([300n, 300n]);
    // A voucher that paid for an answer pays for no other; an older one is stale; too little is underpaid.
    expect(outcome(ledger, 300n)).toBe("VOUCHER_REPLAYED");
    expect(outcome(ledger, 200n)).toBe("VOUCHER_STALE");
    expect(outcome(ledger, 350n)).toBe("VOUCHER_UNDERPAID");
    expect(outcome(ledger, 400n)).toBe("accepted");
    // Released: 400 pays for the next request again.
    expect(outcome(ledger, 400n)).toBe("accepted");
    // In flight counts too: with 700 reserved on top of the 300 served, the 1,000 deposit holds nothing more.
    ledger.accept(voucher(1_100n), 700n, channel, 0n);
    expect(outcome(ledger, 1_100n)).toBe("CHANNEL_EXHAUSTED");
  });

  it("after a restart takes the buyer's first voucher as its acknowledgement of what it was served, once", () => {
    // On disk: 300 served, the voucher for 300 redeemable. The provider delivered a fourth answer and crashed
    // before recording it: the buyer, served 400, pays 500 for its next request.
    const accounts = new Map<string, ChannelAccount>([
      ["1", { redeemable: 300n, signature: voucher(300n).signature, served: 300n, redeemed: 0n }],
    ]);
    const restarted = ledgerOver(accounts);
    restarted.accept(voucher(500n), PRICE, channel, 0n).settle();
    expect(accounts.get("1")).toMatchObject({ served: 500n, redeemable: 500n });
    // Only once: a later voucher above what is owed pays, but is redeemable only within what was served.
    restarted.accept(voucher(700n), PRICE, channel, 0n).settle();
    expect(accounts.get("1")).toMatchObject({ served: 600n, redeemable: 500n });
  });
});
