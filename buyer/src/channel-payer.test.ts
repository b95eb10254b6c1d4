import { recoverVoucherSigner } from "@tributary/protocol";
import { hexlify, randomBytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { ChannelPayer } from "./channel-payer.js";

const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };

describe("ChannelPayer", () => {
  it("signs cumulative, strictly increasing vouchers, concurrent ones included, all by the buyer", async () => {
    const buyer = new Wallet(hexlify(randomBytes(32)));
    const payer = new ChannelPayer(buyer, deployment, 5n, 1_000n);
    const vouchers = await Promise.all([payer.voucherFor(10n), payer.voucherFor(20n), payer.voucherFor(30n)]);
    expect(vouchers.map((v) => v.amount)).toEqual([1_010n, 1_030n, 1_060n]);
    for (const voucher of vouchers) expect(recoverVoucherSigner(voucher)).toBe(buyer.address.toLowerCase());
    const reordered = await payer.voucherAfterReorder();
    expect(reordered.amount).toBe(1_061n);
    payer.record({ channelId: "5", accepted: "1061", owed: "60" }, 10n);
    expect(payer.spending()).toEqual({ channelId: 5n, signed: 1_061n, accepted: 1_061n, served: 10n, requests: 1 });
  });
});
