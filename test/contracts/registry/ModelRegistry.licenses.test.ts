import { expect } from "chai";
import { anchorRounds, createJob, payoutTree } from "../helpers/jobs.js";
import { linkedModel, modelParams, modelsFixture, PRICE, split } from "../helpers/models.js";
import { ethers, networkHelpers as nh, units } from "../helpers/system.js";

describe("ModelRegistry licences and revenue", () => {
  describe("purchaseLicense", () => {
    it("splits a licence of a job's model between provider, researcher, contributors and the fee", async () => {
      const { models, usdc, treasury, buyer, provider, researcher } = await linkedModel();
      const s = split(PRICE, true);
      const tx = models.connect(buyer).purchaseLicense(1n, PRICE);
      await expect(tx)
        .to.emit(models, "LicensePurchased")
        .withArgs(1n, buyer.address, PRICE, s.fee, s.provider, s.researcher, s.contributors);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [buyer, models, treasury], [-PRICE, PRICE - s.fee, s.fee]);
      expect(await models.hasLicense(1n, buyer.address)).to.equal(true);
      expect(await models.pendingRevenue(provider.address, usdc)).to.equal(s.provider);
      expect(await models.pendingRevenue(researcher.address, usdc)).to.equal(s.researcher);
      expect(await models.contributorPool(1n)).to.equal(s.contributors);
      expect(s.provider + s.researcher + s.contributors + s.fee).to.equal(PRICE);
    });

    it("gives the researcher's and contributors' shares to the provider when no job is referenced", async () => {
      const f = await modelsFixture();
      const { models, usdc, buyer, provider } = f;
      await models.connect(provider).registerModel(modelParams(f));
      const s = split(PRICE, false);
      await expect(models.connect(buyer).purchaseLicense(1n, PRICE))
        .to.emit(models, "LicensePurchased")
        .withArgs(1n, buyer.address, PRICE, s.fee, PRICE - s.fee, 0n, 0n);
      expect(await models.pendingRevenue(provider.address, usdc)).to.equal(PRICE - s.fee);
    });

    it("sells a free licence without moving tokens", async () => {
      const f = await modelsFixture();
      await f.models.connect(f.provider).registerModel(modelParams(f, { licensePrice: 0n }));
      await expect(f.models.connect(f.buyer).purchaseLicense(1n, 0n)).to.changeTokenBalance(
        ethers,
        f.usdc,
        f.buyer,
        0n,
      );
      expect(await f.models.hasLicense(1n, f.buyer.address)).to.equal(true);
    });

    it("refuses a second licence, inactive and unknown models", async () => {
      const { models, buyer, provider } = await linkedModel();
      await models.connect(buyer).purchaseLicense(1n, PRICE);
      await expect(models.connect(buyer).purchaseLicense(1n, PRICE))
        .to.be.revertedWithCustomError(models, "ModelRegistryAlreadyLicensed")
        .withArgs(1n, buyer.address);
      await expect(models.connect(buyer).purchaseLicense(2n, PRICE))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(2n);
      await models.connect(provider).deactivateModel(1n);
      await expect(models.connect(provider).purchaseLicense(1n, PRICE))
        .to.be.revertedWithCustomError(models, "ModelRegistryInactive")
        .withArgs(1n);
    });

    it("attack: a provider raising the price in the same block, before the buyer's tx, charges nothing (ModelRegistryPriceAboveMax)", async () => {
      const { models, usdc, buyer, provider } = await linkedModel();
      const before = await usdc.balanceOf(buyer.address);
      // Both transactions wait in the mempool; the provider's, sent first, is mined first in the same block.
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const raise = await models.connect(provider).updateModel(1n, "https://inference.example", 3n, units(900_000));
        const buy = await models.connect(buyer).purchaseLicense(1n, PRICE, { gasLimit: 500_000n });
        await nh.mine(1);
        const [raised, bought] = await Promise.all([
          ethers.provider.getTransactionReceipt(raise.hash),
          ethers.provider.getTransactionReceipt(buy.hash),
        ]);
        expect(raised?.status).to.equal(1);
        expect(bought?.status).to.equal(0);
        expect(bought?.blockNumber).to.equal(raised?.blockNumber);
        expect(bought?.index).to.be.greaterThan(raised?.index ?? Number.MAX_SAFE_INTEGER);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      // The refusal names the current price and the buyer's maximum; the buyer paid nothing and holds no licence.
      await expect(models.connect(buyer).purchaseLicense(1n, PRICE))
        .to.be.revertedWithCustomError(models, "ModelRegistryPriceAboveMax")
        .withArgs(1n, units(900_000), PRICE);
      expect(await usdc.balanceOf(buyer.address)).to.equal(before);
      expect(await models.hasLicense(1n, buyer.address)).to.equal(false);
      // At the price it agrees to, the purchase goes through.
      await expect(models.connect(buyer).purchaseLicense(1n, units(900_000))).to.emit(models, "LicensePurchased");
    });

    it("rejects fee-on-transfer tokens with ModelRegistryTransferMismatch", async () => {
      const f = await modelsFixture();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      await fot.mint(f.buyer.address, 1_000n);
      await fot.connect(f.buyer).approve(f.models, 1_000n);
      await f.models
        .connect(f.provider)
        .registerModel(modelParams(f, { paymentToken: fot.target, licensePrice: 1_000n }));
      await expect(f.models.connect(f.buyer).purchaseLicense(1n, 1_000n))
        .to.be.revertedWithCustomError(f.models, "ModelRegistryTransferMismatch")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });
  });

  describe("withdrawRevenue", () => {
    it("pays provider and researcher their credits once", async () => {
      const { models, usdc, buyer, provider, researcher } = await linkedModel();
      await models.connect(buyer).purchaseLicense(1n, PRICE);
      const s = split(PRICE, true);
      for (const [account, amount] of [
        [provider, s.provider],
        [researcher, s.researcher],
      ] as const) {
        const tx = models.connect(account).withdrawRevenue(usdc);
        await expect(tx)
          .to.emit(models, "RevenueWithdrawn")
          .withArgs(account.address, await usdc.getAddress(), amount);
        await expect(tx).to.changeTokenBalances(ethers, usdc, [models, account], [-amount, amount]);
        await expect(models.connect(account).withdrawRevenue(usdc))
          .to.be.revertedWithCustomError(models, "ModelRegistryNothingToWithdraw")
          .withArgs(account.address, await usdc.getAddress());
      }
    });
  });

  describe("claimContributorRevenue", () => {
    it("pays each contributor pool × amount / payoutTotal, and only what is new on later claims", async () => {
      const { models, usdc, buyer, stranger, alice, bob, leaves, tree } = await linkedModel();
      await models.connect(buyer).purchaseLicense(1n, PRICE);
      const pool = split(PRICE, true).contributors;
      const aliceDue = (pool * units(600)) / units(1_000);
      const tx = models.connect(stranger).claimContributorRevenue(1n, alice.address, units(600), tree.proof(0));
      await expect(tx).to.emit(models, "ContributorRevenueClaimed").withArgs(1n, alice.address, aliceDue);
      await expect(tx).to.changeTokenBalance(ethers, usdc, alice, aliceDue);
      await expect(models.claimContributorRevenue(1n, alice.address, units(600), tree.proof(0)))
        .to.be.revertedWithCustomError(models, "ModelRegistryNothingToClaim")
        .withArgs(1n, alice.address);

      // A second sale: alice gets exactly her share of the new revenue; bob his share of both.
      await usdc.connect(bob).approve(models, PRICE);
      await models.connect(bob).purchaseLicense(1n, PRICE);
      await expect(models.claimContributorRevenue(1n, alice.address, units(600), tree.proof(0))).to.changeTokenBalance(
        ethers,
        usdc,
        alice,
        (2n * pool * 600n) / 1_000n - aliceDue,
      );
      await expect(models.claimContributorRevenue(1n, bob.address, units(400), tree.proof(1))).to.changeTokenBalance(
        ethers,
        usdc,
        bob,
        (2n * pool * 400n) / 1_000n,
      );
      expect(await models.contributorClaimed(1n, bob.address)).to.equal((2n * pool * 400n) / 1_000n);
      expect(leaves.length).to.equal(2);
    });

    it("caps contributor payouts at the pool even when the job's tree sums to more than its total", async () => {
      const f = await modelsFixture();
      const { models, jobs, usdc, coordinator, researcher, buyer, alice, bob } = f;
      const jobId = await createJob(f, { reward: units(2_000) });
      await anchorRounds(f, jobId, 1);
      // A dishonest coordinator: each leaf claims the whole payout total.
      const tree = payoutTree([
        { trainer: alice.address as `0x${string}`, amount: units(1_000) },
        { trainer: bob.address as `0x${string}`, amount: units(1_000) },
      ]);
      await jobs.connect(coordinator).finalizeJob(jobId, tree.root, units(1_000));
      await models.connect(researcher).registerModel(modelParams(f, { jobId }));
      await models.connect(buyer).purchaseLicense(1n, PRICE);
      const pool = await models.contributorPool(1n);
      await expect(
        models.claimContributorRevenue(1n, alice.address, units(1_000), tree.proof(0)),
      ).to.changeTokenBalance(ethers, usdc, alice, pool);
      await expect(models.claimContributorRevenue(1n, bob.address, units(1_000), tree.proof(1)))
        .to.be.revertedWithCustomError(models, "ModelRegistryNothingToClaim")
        .withArgs(1n, bob.address);
    });

    it("rejects forged proofs and models without a job", async () => {
      const f = await linkedModel();
      const { models, alice, tree, provider } = f;
      await expect(models.claimContributorRevenue(1n, alice.address, units(601), tree.proof(0)))
        .to.be.revertedWithCustomError(models, "ModelRegistryInvalidProof")
        .withArgs(1n, alice.address, units(601));
      await models.connect(provider).registerModel(modelParams(f));
      await expect(models.claimContributorRevenue(2n, alice.address, units(600), tree.proof(0)))
        .to.be.revertedWithCustomError(models, "ModelRegistryNoJob")
        .withArgs(2n);
    });

    it("withdrawals and contributor claims cannot be re-entered", async () => {
      const f = await modelsFixture();
      const { models, researcher, provider, buyer, alice, tree, jobId } = f;
      const evil = await ethers.deployContract("ReentrantToken");
      await evil.mint(buyer.address, PRICE * 2n);
      await evil.connect(buyer).approve(models, PRICE * 2n);
      await models.connect(researcher).setProviderApproval(jobId, provider.address, true);
      await models.connect(provider).registerModel(modelParams(f, { jobId, paymentToken: evil.target }));
      await models.connect(buyer).purchaseLicense(1n, PRICE);
      await evil.arm(models, models.interface.encodeFunctionData("withdrawRevenue", [await evil.getAddress()]));
      await expect(models.connect(provider).withdrawRevenue(evil)).to.be.revertedWithCustomError(
        models,
        "ReentrancyGuardReentrantCall",
      );
      const claim = models.interface.encodeFunctionData("claimContributorRevenue", [
        1n,
        alice.address,
        units(600),
        tree.proof(0),
      ]);
      await evil.arm(models, claim);
      await expect(
        models.claimContributorRevenue(1n, alice.address, units(600), tree.proof(0)),
      ).to.be.revertedWithCustomError(models, "ReentrancyGuardReentrantCall");
    });
  });
});
