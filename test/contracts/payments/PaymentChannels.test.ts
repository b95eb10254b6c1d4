import { expect } from "chai";
import { TypedDataEncoder } from "ethers";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { signVoucher, VOUCHER_TYPES } from "../helpers/channels.js";
import { DAY, ethers, increaseTime, latestTime, loadSystem, type System, units } from "../helpers/system.js";

const DEPOSIT = units(100);
async function openChannel() {
  const system = await loadSystem();
  const { channels, usdc, buyer, provider } = system;
  await usdc.connect(buyer).approve(channels, ethers.MaxUint256);
  const expiry = (await latestTime()) + DAY;
  await channels.connect(buyer).open(provider.address, usdc, DEPOSIT, expiry);
  return { ...system, expiry };
}

async function closing() {
  const f = await openChannel();
  await increaseTime(DAY + 1n);
  await f.channels.connect(f.buyer).startClose(1n);
  return f;
}

describe("PaymentChannels", () => {
  describe("open", () => {
    it("escrows the deposit and emits ChannelOpened", async () => {
      const { channels, usdc, buyer, provider } = await loadSystem();
      await usdc.connect(buyer).approve(channels, DEPOSIT);
      const expiry = (await latestTime()) + DAY;
      const tx = channels.connect(buyer).open(provider.address, usdc, DEPOSIT, expiry);
      await expect(tx)
        .to.emit(channels, "ChannelOpened")
        .withArgs(1n, buyer.address, provider.address, await usdc.getAddress(), DEPOSIT, expiry);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [buyer, channels], [-DEPOSIT, DEPOSIT]);
      const channel = await channels.getChannel(1n);
      expect([
        channel.buyer,
        channel.provider,
        channel.status,
        channel.deposit,
        channel.paid,
        channel.expiry,
      ]).to.deep.equal([buyer.address, provider.address, 1n, DEPOSIT, 0n, expiry]);
      expect(await channels.channelCount()).to.equal(1n);
    });

    it("rejects a bad provider, token, deposit or expiry", async () => {
      const { channels, usdc, buyer, provider } = await openChannel();
      const later = (await latestTime()) + DAY;
      for (const bad of [ethers.ZeroAddress, buyer.address]) {
        await expect(channels.connect(buyer).open(bad, usdc, 1n, later))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidProvider")
          .withArgs(bad);
      }
      await expect(
        channels.connect(buyer).open(provider.address, ethers.ZeroAddress, 1n, later),
      ).to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidToken");
      for (const deposit of [0n, 2n ** 128n]) {
        await expect(channels.connect(buyer).open(provider.address, usdc, deposit, later))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidDeposit")
          .withArgs(deposit);
      }
      const now = (await latestTime()) + 1n;
      await expect(channels.connect(buyer).open(provider.address, usdc, 1n, now))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidExpiry")
        .withArgs(now);
      await expect(channels.connect(buyer).open(provider.address, usdc, 1n, 2n ** 40n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidExpiry")
        .withArgs(2n ** 40n);
    });

    it("rejects fee-on-transfer tokens with PaymentChannelsTransferMismatch", async () => {
      const { channels, buyer, provider } = await loadSystem();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      await fot.mint(buyer.address, 1_000n);
      await fot.connect(buyer).approve(channels, 1_000n);
      await expect(channels.connect(buyer).open(provider.address, fot, 1_000n, (await latestTime()) + DAY))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsTransferMismatch")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });
  });

  describe("topUp", () => {
    it("adds to the deposit and extends the expiry", async () => {
      const { channels, usdc, buyer, expiry } = await openChannel();
      const tx = channels.connect(buyer).topUp(1n, units(5), expiry + DAY);
      await expect(tx)
        .to.emit(channels, "ChannelToppedUp")
        .withArgs(1n, units(5), DEPOSIT + units(5), expiry + DAY);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [buyer, channels], [-units(5), units(5)]);
    });

    it("is buyer-only, never shortens the expiry, and stops once closing", async () => {
      const { channels, buyer, provider, expiry } = await openChannel();
      await expect(channels.connect(provider).topUp(1n, 1n, expiry))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsNotBuyer")
        .withArgs(1n, provider.address);
      await expect(channels.connect(buyer).topUp(1n, 1n, expiry - 1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidExpiry")
        .withArgs(expiry - 1n);
      await expect(channels.connect(buyer).topUp(1n, 2n ** 128n - DEPOSIT, expiry))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidDeposit")
        .withArgs(2n ** 128n);
      await increaseTime(DAY + 1n);
      await channels.connect(buyer).startClose(1n);
      await expect(channels.connect(buyer).topUp(1n, 1n, expiry))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidStatus")
        .withArgs(1n, 2n);
      await expect(channels.connect(buyer).topUp(2n, 1n, expiry))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsUnknownChannel")
        .withArgs(2n);
    });
  });

  describe("redeem", () => {
    it("pays the provider the difference to what it was already paid", async () => {
      const { channels, usdc, buyer, provider } = await openChannel();
      const first = channels.connect(provider).redeem(1n, units(30), await signVoucher(buyer, channels, 1n, units(30)));
      await expect(first).to.emit(channels, "VoucherRedeemed").withArgs(1n, units(30), units(30), units(30));
      await expect(first).to.changeTokenBalances(ethers, usdc, [channels, provider], [-units(30), units(30)]);
      const second = channels
        .connect(provider)
        .redeem(1n, units(45), await signVoucher(buyer, channels, 1n, units(45)));
      await expect(second).to.emit(channels, "VoucherRedeemed").withArgs(1n, units(45), units(15), units(45));
      await expect(second).to.changeTokenBalance(ethers, usdc, provider, units(15));
    });

    it("redeems a voucher once: the same or a lower voucher pays nothing", async () => {
      const { channels, buyer, provider } = await openChannel();
      const sig = await signVoucher(buyer, channels, 1n, units(30));
      await channels.connect(provider).redeem(1n, units(30), sig);
      await expect(channels.connect(provider).redeem(1n, units(30), sig))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsVoucherNotIncreasing")
        .withArgs(1n, units(30), units(30));
      const lower = await signVoucher(buyer, channels, 1n, units(10));
      await expect(channels.connect(provider).redeem(1n, units(10), lower))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsVoucherNotIncreasing")
        .withArgs(1n, units(10), units(30));
    });

    it("never pays more than the deposit", async () => {
      const { channels, usdc, buyer, provider } = await openChannel();
      const big = await signVoucher(buyer, channels, 1n, units(250));
      await expect(channels.connect(provider).redeem(1n, units(250), big)).to.changeTokenBalance(
        ethers,
        usdc,
        provider,
        DEPOSIT,
      );
      await expect(channels.connect(provider).redeem(1n, units(250), big))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsVoucherNotIncreasing")
        .withArgs(1n, units(250), DEPOSIT);
      expect((await channels.getChannel(1n)).paid).to.equal(DEPOSIT);
    });

    it("is provider-only and needs the buyer's signature", async () => {
      const { channels, buyer, provider, stranger } = await openChannel();
      const sig = await signVoucher(buyer, channels, 1n, 1n);
      await expect(channels.connect(stranger).redeem(1n, 1n, sig))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsNotProvider")
        .withArgs(1n, stranger.address);
      const forged = await signVoucher(provider, channels, 1n, 1n);
      await expect(channels.connect(provider).redeem(1n, 1n, forged))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidSignature")
        .withArgs(1n, 1n);
    });

    it("signs what ethers' independent EIP-712 encoder computes", async () => {
      const { channels } = await openChannel();
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: "Tributary", version: "1", chainId, verifyingContract: await channels.getAddress() };
      expect(await channels.voucherDigest(1n, 42n)).to.equal(
        TypedDataEncoder.hash(domain, VOUCHER_TYPES, { channelId: 1n, amount: 42n }),
      );
      expect(await channels.VOUCHER_TYPEHASH()).to.equal(ethers.id("Voucher(uint256 channelId,uint256 amount)"));
    });

    describe("attack: voucher replay", () => {
      it("on another channel between the same parties", async () => {
        const { channels, buyer, provider, usdc, expiry } = await openChannel();
        await channels.connect(buyer).open(provider.address, usdc, DEPOSIT, expiry);
        const forChannel1 = await signVoucher(buyer, channels, 1n, units(20));
        await channels.connect(provider).redeem(1n, units(20), forChannel1);
        await expect(channels.connect(provider).redeem(2n, units(20), forChannel1))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidSignature")
          .withArgs(2n, units(20));
      });

      it("from another chain id", async () => {
        const { channels, buyer, provider } = await openChannel();
        const otherChain = await signVoucher(buyer, channels, 1n, units(20), 1n);
        await expect(channels.connect(provider).redeem(1n, units(20), otherChain))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidSignature")
          .withArgs(1n, units(20));
      });

      it("from another PaymentChannels deployment", async () => {
        const { channels, buyer, provider, gov } = await openChannel();
        const other = await ethers.deployContract("PaymentChannels", [DAY, gov.address]);
        const otherContract = await signVoucher(buyer, other, 1n, units(20));
        await expect(channels.connect(provider).redeem(1n, units(20), otherContract))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidSignature")
          .withArgs(1n, units(20));
      });
    });
  });

  describe("closing", () => {
    it("startClose only after expiry, by the buyer, once", async () => {
      const { channels, buyer, provider, expiry } = await openChannel();
      await expect(channels.connect(buyer).startClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsNotExpired")
        .withArgs(1n, expiry);
      await increaseTime(DAY + 1n);
      await expect(channels.connect(provider).startClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsNotBuyer")
        .withArgs(1n, provider.address);
      const tx = await channels.connect(buyer).startClose(1n);
      await expect(tx)
        .to.emit(channels, "ChannelCloseStarted")
        .withArgs(1n, (await latestTime()) + DAY);
      await expect(channels.connect(buyer).startClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidStatus")
        .withArgs(1n, 2n);
    });

    it("lets the provider redeem a higher voucher during the challenge period, not after", async () => {
      const { channels, buyer, provider } = await closing();
      await channels.connect(provider).redeem(1n, units(10), await signVoucher(buyer, channels, 1n, units(10)));
      const deadline = (await channels.getChannel(1n)).closeDeadline;
      await increaseTime(DAY + 1n);
      await expect(channels.connect(provider).redeem(1n, units(20), await signVoucher(buyer, channels, 1n, units(20))))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsChallengePeriodOver")
        .withArgs(1n, deadline);
    });

    it("finalizeClose refunds the rest to the buyer after the challenge period", async () => {
      const { channels, usdc, buyer, provider, stranger } = await closing();
      await channels.connect(provider).redeem(1n, units(35), await signVoucher(buyer, channels, 1n, units(35)));
      const deadline = (await channels.getChannel(1n)).closeDeadline;
      await expect(channels.finalizeClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsChallengePeriodActive")
        .withArgs(1n, deadline);
      await increaseTime(DAY + 1n);
      const tx = channels.connect(stranger).finalizeClose(1n);
      await expect(tx).to.emit(channels, "ChannelClosed").withArgs(1n, units(35), units(65));
      await expect(tx).to.changeTokenBalances(ethers, usdc, [channels, buyer], [-units(65), units(65)]);
      await expect(channels.connect(provider).redeem(1n, units(50), await signVoucher(buyer, channels, 1n, units(50))))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidStatus")
        .withArgs(1n, 3n);
      await expect(channels.finalizeClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidStatus")
        .withArgs(1n, 3n);
    });

    it("finalizeClose needs a close in progress", async () => {
      const { channels } = await openChannel();
      await expect(channels.finalizeClose(1n))
        .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidStatus")
        .withArgs(1n, 1n);
    });
  });

  describe("attack: reentrancy on payouts", () => {
    it("redeem and finalizeClose cannot be re-entered", async () => {
      const { channels, buyer, provider } = await loadSystem();
      const evil = await ethers.deployContract("ReentrantToken");
      await evil.mint(buyer.address, DEPOSIT);
      await evil.connect(buyer).approve(channels, DEPOSIT);
      await channels.connect(buyer).open(provider.address, evil, DEPOSIT, (await latestTime()) + DAY);
      const high = await signVoucher(buyer, channels, 1n, units(20));
      await evil.arm(channels, channels.interface.encodeFunctionData("redeem", [1n, units(20), high]));
      await expect(
        channels.connect(provider).redeem(1n, units(10), await signVoucher(buyer, channels, 1n, units(10))),
      ).to.be.revertedWithCustomError(channels, "ReentrancyGuardReentrantCall");
      await evil.arm(ethers.ZeroAddress, "0x");
      await increaseTime(DAY + 1n);
      await channels.connect(buyer).startClose(1n);
      await increaseTime(DAY + 1n);
      await evil.arm(channels, channels.interface.encodeFunctionData("finalizeClose", [1n]));
      await expect(channels.finalizeClose(1n)).to.be.revertedWithCustomError(channels, "ReentrancyGuardReentrantCall");
    });
  });

  describe("setChallengePeriod", () => {
    it("sets the period within 1 minute to 30 days", async () => {
      const { channels, gov } = await loadSystem();
      expect(await channels.challengePeriod()).to.equal(DAY);
      await expect(channels.connect(gov).setChallengePeriod(60n))
        .to.emit(channels, "ChallengePeriodUpdated")
        .withArgs(DAY, 60n);
      for (const bad of [59n, 30n * DAY + 1n]) {
        await expect(channels.connect(gov).setChallengePeriod(bad))
          .to.be.revertedWithCustomError(channels, "PaymentChannelsInvalidChallengePeriod")
          .withArgs(bad);
      }
    });

    shouldBeGovernanceOnly(loadSystem, (s: System) => s.channels, {
      setChallengePeriod: (s, caller) => s.channels.connect(caller).setChallengePeriod(3_600n),
    });
  });
});
