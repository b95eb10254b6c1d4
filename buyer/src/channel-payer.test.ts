import { recoverVoucherSigner } from "@tributary/protocol";
import { hexlify, randomBytes, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { ChannelPayer } from "./channel-payer.js";

const deployment = { chainId: 31337n, contract: `0x${"12".repeat(20)}` as const };

describe("ChannelPayer", () => {
  it("pays everything served plus the request, the buyer's signature; an unanswered request costs nothing", async () => {
    const buyer = new Wallet(hexlify(randomBytes(32)));
    const payer = new ChannelPayer(buyer, deployment, 5n, { served: 1_000n, signed: 1_000n });
    await payer.take();
    const first = await payer.voucherFor(10n);
    expect([first.channelId, first.amount]).toEqual([5n, 1_010n]);
    expect(recoverVoucherSigner(first)).toBe(buyer.address.toLowerCase());
    payer.unused();
    // Not answered: the next request pays the same amount again.
    await payer.take();
    expect((await payer.voucherFor(10n)).amount).toBe(1_010n);
    payer.answered(10n);
    await payer.take();
    expect((await payer.voucherFor(25n)).amount).toBe(1_035n);
    payer.answered(25n);
    expect(payer.spending()).toEqual({
      channelId: 5n,
      signed: 1_035n,
      served: 1_035n,
      requests: 2,
      uncertain: 0n,
      unanswered: 0n,
    });
  });

  it("carries one request at a time: concurrent requests sign one after another, each on what the last was served", async () => {
    const payer = new ChannelPayer(new Wallet(hexlify(randomBytes(32))), deployment, 1n);
    const amounts: bigint[] = [];
    const request = async (price: bigint, answered: boolean) => {
      await payer.take();
      amounts.push((await payer.voucherFor(price)).amount);
      if (answered) payer.answered(price);
      else payer.unused();
    };
    await Promise.all([request(10n, true), request(20n, false), request(30n, true), request(5n, true)]);
    expect(amounts).toEqual([10n, 30n, 40n, 45n]);
    expect(payer.tryTake()).toBe(true);
    expect(payer.tryTake()).toBe(false);
  });

  it("keeps a lost answer uncertain, and takes a provider's word that it served it only up to what is uncertain", async () => {
    const payer = new ChannelPayer(new Wallet(hexlify(randomBytes(32))), deployment, 2n);
    await payer.take();
    await payer.voucherFor(40n);
    // A request in flight is kept as uncertain, in case the session ends before its answer.
    expect(payer.state()).toMatchObject({ served: 0n, uncertain: 40n });
    payer.lost(40n);
    expect(payer.acknowledge(41n)).toBe(false);
    expect(payer.acknowledge(0n)).toBe(false);
    expect(payer.acknowledge(40n)).toBe(true);
    expect(payer.spending()).toMatchObject({ served: 40n, uncertain: 0n, unanswered: 40n, requests: 0 });
    await payer.take();
    expect((await payer.voucherFor(10n)).amount).toBe(50n);
  });
});
