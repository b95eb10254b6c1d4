import { expect } from "chai";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { BPS, ethers, loadSystem, type System, units } from "../helpers/system.js";

async function withFeePayer() {
  const system = await loadSystem();
  const { token, usdc, treasury, alice } = system;
  await token.connect(alice).approve(treasury, ethers.MaxUint256);
  await usdc.connect(alice).approve(treasury, ethers.MaxUint256);
  return system;
}

describe("Treasury", () => {
  it("starts with the deployment's burn share and burns the utility token", async () => {
    const { treasury, token } = await loadSystem();
    expect(await treasury.burnShareBps()).to.equal(5_000n);
    expect(await treasury.burnToken()).to.equal(await token.getAddress());
    expect(await treasury.totalBurned()).to.equal(0n);
  });

  it("rejects a burn share above 100 % at deployment", async () => {
    const factory = await ethers.getContractFactory("Treasury");
    const { gov } = await loadSystem();
    await expect(factory.deploy(ethers.ZeroAddress, BPS + 1n, gov))
      .to.be.revertedWithCustomError(factory, "TreasuryInvalidBurnShare")
      .withArgs(BPS + 1n);
  });

  describe("depositFee", () => {
    it("burns the burn share of a utility-token fee and keeps the rest", async () => {
      const { treasury, token, alice } = await withFeePayer();
      const supplyBefore = await token.totalSupply();
      const fee = units(1_000) + 1n;
      const burned = (fee * 5_000n) / BPS;
      const tx = treasury.connect(alice).depositFee(token, fee);
      await expect(tx)
        .to.emit(treasury, "FeeDeposited")
        .withArgs(alice.address, await token.getAddress(), fee, burned);
      expect(await token.balanceOf(treasury)).to.equal(fee - burned);
      expect(await token.totalSupply()).to.equal(supplyBefore - burned);
      expect(await treasury.totalBurned()).to.equal(burned);
    });

    it("keeps a fee in another token whole", async () => {
      const { treasury, usdc, alice } = await withFeePayer();
      await expect(treasury.connect(alice).depositFee(usdc, 777n))
        .to.emit(treasury, "FeeDeposited")
        .withArgs(alice.address, await usdc.getAddress(), 777n, 0n);
      expect(await usdc.balanceOf(treasury)).to.equal(777n);
      expect(await treasury.totalBurned()).to.equal(0n);
    });

    it("rejects a zero fee with TreasuryZeroAmount", async () => {
      const { treasury, token, alice } = await withFeePayer();
      await expect(treasury.connect(alice).depositFee(token, 0n)).to.be.revertedWithCustomError(
        treasury,
        "TreasuryZeroAmount",
      );
    });

    it("rejects fee-on-transfer tokens with TreasuryTransferMismatch", async () => {
      const { treasury, alice } = await withFeePayer();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      await fot.mint(alice.address, 1_000n);
      await fot.connect(alice).approve(treasury, 1_000n);
      await expect(treasury.connect(alice).depositFee(fot, 1_000n))
        .to.be.revertedWithCustomError(treasury, "TreasuryTransferMismatch")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });

    it("cannot be re-entered from the token transfer", async () => {
      const { treasury, alice } = await withFeePayer();
      const evil = await ethers.deployContract("ReentrantToken");
      await evil.mint(alice.address, 100n);
      await evil.connect(alice).approve(treasury, 100n);
      await evil.arm(treasury, treasury.interface.encodeFunctionData("depositFee", [await evil.getAddress(), 1n]));
      await expect(treasury.connect(alice).depositFee(evil, 100n)).to.be.revertedWithCustomError(
        treasury,
        "ReentrancyGuardReentrantCall",
      );
    });
  });

  describe("withdraw", () => {
    it("sends treasury funds where governance says and emits Withdrawn", async () => {
      const { treasury, usdc, alice, gov, bob } = await withFeePayer();
      await treasury.connect(alice).depositFee(usdc, 1_000n);
      const tx = treasury.connect(gov).withdraw(usdc, bob.address, 600n);
      await expect(tx)
        .to.emit(treasury, "Withdrawn")
        .withArgs(await usdc.getAddress(), bob.address, 600n);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [treasury, bob], [-600n, 600n]);
    });

    it("rejects the zero recipient with TreasuryInvalidRecipient", async () => {
      const { treasury, usdc, gov } = await withFeePayer();
      await expect(treasury.connect(gov).withdraw(usdc, ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(treasury, "TreasuryInvalidRecipient")
        .withArgs(ethers.ZeroAddress);
    });

    it("cannot send more than the treasury holds", async () => {
      const { treasury, usdc, gov, bob } = await withFeePayer();
      await expect(treasury.connect(gov).withdraw(usdc, bob.address, 1n))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientBalance")
        .withArgs(await treasury.getAddress(), 0n, 1n);
    });
  });

  describe("setBurnShare", () => {
    it("changes the share and emits BurnShareUpdated(previous, new)", async () => {
      const { treasury, gov } = await loadSystem();
      await expect(treasury.connect(gov).setBurnShare(BPS)).to.emit(treasury, "BurnShareUpdated").withArgs(5_000n, BPS);
      expect(await treasury.burnShareBps()).to.equal(BPS);
    });

    it("rejects a share above 100 % with TreasuryInvalidBurnShare", async () => {
      const { treasury, gov } = await loadSystem();
      await expect(treasury.connect(gov).setBurnShare(BPS + 1n))
        .to.be.revertedWithCustomError(treasury, "TreasuryInvalidBurnShare")
        .withArgs(BPS + 1n);
    });
  });

  describe("governance", () => {
    shouldBeGovernanceOnly(withFeePayer, (s: System) => s.treasury, {
      withdraw: async (s, caller) => {
        await s.treasury.connect(s.alice).depositFee(s.usdc, 10n);
        return s.treasury.connect(caller).withdraw(s.usdc, s.bob.address, 1n);
      },
      setBurnShare: (s, caller) => s.treasury.connect(caller).setBurnShare(1n),
    });
  });
});
