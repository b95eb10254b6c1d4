import { expect } from "chai";
import fc from "fast-check";
import { signVoucher } from "../helpers/channels.js";
import { fuzzInvariant } from "../helpers/fuzz.js";
import { DAY, ethers, increaseTime, latestTime, loadSystem } from "../helpers/system.js";

type Step =
  | { kind: "redeem"; channel: number; amount: bigint }
  | { kind: "topUp"; channel: number; amount: bigint }
  | { kind: "close"; channel: number }
  | { kind: "wait"; seconds: bigint };

const channel = fc.nat(1);
const amount = fc.bigInt({ min: 1n, max: 3_000n });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("redeem" as const), channel, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("topUp" as const), channel, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), channel }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.bigInt({ min: 1n, max: DAY }) }),
  },
);

describe("PaymentChannels invariants (fuzzed)", () => {
  it("a channel never pays out more than its deposit, and paid + refund == deposit once closed", async () => {
    await fuzzInvariant(
      "channel payouts bounded by deposits",
      fc.tuple(
        fc.array(fc.bigInt({ min: 1n, max: 2_000n }), { minLength: 2, maxLength: 2 }),
        fc.array(step, { maxLength: 16 }),
      ),
      async ([deposits, steps]) => {
        const { channels, usdc, buyer, provider } = await loadSystem();
        await usdc.connect(buyer).approve(channels, ethers.MaxUint256);
        const expiry = (await latestTime()) + DAY;
        const deposited = [0n, 0n];
        for (const [i, deposit] of deposits.entries()) {
          await channels.connect(buyer).open(provider.address, usdc, deposit, expiry);
          deposited[i] = deposit;
        }
        const providerStart = await usdc.balanceOf(provider.address);
        const buyerStart = await usdc.balanceOf(buyer.address);
        let txs = 2;
        for (const s of steps) {
          if (s.kind === "wait") {
            await increaseTime(s.seconds);
            continue;
          }
          const id = BigInt(s.channel + 1);
          txs += 1;
          // Every call may legitimately revert (wrong status, nothing new to pay); the invariant is what matters.
          try {
            if (s.kind === "redeem") {
              await channels.connect(provider).redeem(id, s.amount, await signVoucher(buyer, channels, id, s.amount));
            } else if (s.kind === "topUp") {
              await channels.connect(buyer).topUp(id, s.amount, expiry);
              deposited[s.channel] = (deposited[s.channel] ?? 0n) + s.amount;
            } else {
              const state = await channels.getChannel(id);
              await (state.status === 1n ? channels.connect(buyer).startClose(id) : channels.finalizeClose(id));
            }
          } catch (error) {
            if (!String(error).includes("reverted")) throw error;
          }
          let paidTotal = 0n;
          for (const [i, total] of deposited.entries()) {
            const state = await channels.getChannel(BigInt(i + 1));
            expect(state.deposit).to.equal(total);
            expect(state.paid <= state.deposit).to.equal(true);
            paidTotal += state.paid;
          }
          expect((await usdc.balanceOf(provider.address)) - providerStart).to.equal(paidTotal);
        }
        // Close everything and check the buyer got back exactly what was not paid.
        await increaseTime(2n * DAY);
        for (const id of [1n, 2n]) {
          if ((await channels.getChannel(id)).status === 1n) await channels.connect(buyer).startClose(id);
        }
        await increaseTime(2n * DAY);
        let refundsDue = 0n;
        let topUps = 0n;
        for (const [i, total] of deposited.entries()) {
          const id = BigInt(i + 1);
          const before = await channels.getChannel(id);
          if (before.status === 2n) await channels.finalizeClose(id);
          const state = await channels.getChannel(id);
          expect(state.status).to.equal(3n);
          refundsDue += total - state.paid;
          topUps += total - (deposits[i] ?? 0n);
        }
        expect((await usdc.balanceOf(buyer.address)) - buyerStart).to.equal(refundsDue - topUps);
        expect(await usdc.balanceOf(channels)).to.equal(0n);
        return txs;
      },
      25,
    );
  });
});
