import { expect } from "chai";
import { BPS, DAY, ethers, increaseTime, units } from "../helpers/system.js";
import {
  BOND,
  disputed,
  INPUT,
  Outcome,
  PAYMENT,
  RESOLUTION,
  RESPONSE,
  submitted,
  verifierFixture,
  WRONG,
} from "../helpers/verifier.js";

/** The deployment's verifier parameters with another committee threshold. */
function withThreshold(committeeThreshold: bigint) {
  return {
    disputeWindow: DAY,
    resolutionPeriod: 3n * DAY,
    responseTimeout: 3_600n,
    committeeThreshold,
    challengerBond: BOND,
    providerSlashAmount: units(500),
    minCommitteeStake: units(1_000),
  };
}

describe("OptimisticVerifier hardening (issue 12, item 11)", () => {
  it("attack: the requester, appointed to the committee, cannot vote on its own task's dispute", async () => {
    const { verifier, staking, token, gov, buyer } = await disputed();
    await token.connect(buyer).approve(staking, ethers.MaxUint256);
    await staking.connect(buyer).stake(units(1_000));
    await verifier.connect(gov).setCommitteeMember(buyer.address, true);
    await expect(verifier.connect(buyer).vote(1n, false))
      .to.be.revertedWithCustomError(verifier, "OptimisticVerifierConflictedMember")
      .withArgs(1n, buyer.address);
    expect(await verifier.hasVoted(1n, buyer.address)).to.equal(false);
  });

  describe("committee threshold against committee size", () => {
    it("attack: setParameters raising the threshold above the committee (every dispute Void) is refused", async () => {
      const { verifier, gov } = await verifierFixture();
      await expect(verifier.connect(gov).setParameters(withThreshold(4n)))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierThresholdAboveCommittee")
        .withArgs(4n, 3n);
      await expect(verifier.connect(gov).setParameters(withThreshold(3n))).to.emit(verifier, "ParametersUpdated");
    });

    it("attack: removing members below the threshold is refused", async () => {
      const { verifier, gov, members } = await verifierFixture();
      await verifier.connect(gov).setCommitteeMember(members[0].address, false);
      await expect(verifier.connect(gov).setCommitteeMember(members[1].address, false))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierThresholdAboveCommittee")
        .withArgs(2n, 1n);
      expect(await verifier.committeeSize()).to.equal(2n);
    });

    it("the constructor checks the threshold against the initial committee", async () => {
      const { models, staking, treasury, gov, members } = await verifierFixture();
      const args = (committee: string[], threshold: bigint) =>
        [models, staking, treasury, withThreshold(threshold), committee, gov.address] as const;
      const factory = await ethers.getContractFactory("OptimisticVerifier");
      await expect(ethers.deployContract("OptimisticVerifier", [...args([members[0].address], 2n)]))
        .to.be.revertedWithCustomError(factory, "OptimisticVerifierThresholdAboveCommittee")
        .withArgs(2n, 1n);
      const deployed = await ethers.deployContract("OptimisticVerifier", [
        ...args([members[0].address, members[1].address], 2n),
      ]);
      expect(await deployed.committeeSize()).to.equal(2n);
      expect(await deployed.isCommitteeMember(members[1].address)).to.equal(true);
      // No committee yet (governance appoints it later): allowed, but no committee dispute can open.
      const empty = await ethers.deployContract("OptimisticVerifier", [...args([], 2n)]);
      expect(await empty.committeeSize()).to.equal(0n);
    });

    it("attack: a committee dispute cannot open while the committee is smaller than the threshold", async () => {
      const f = await submitted();
      const { verifier, gov, members, challenger } = f;
      // Governance dissolves the committee and starts appointing a new one: one member of the two needed.
      await verifier.connect(gov).setParameters(withThreshold(1n));
      for (const member of members) await verifier.connect(gov).setCommitteeMember(member.address, false);
      await verifier.connect(gov).setParameters(withThreshold(2n));
      await verifier.connect(gov).setCommitteeMember(members[0].address, true);
      await expect(verifier.connect(challenger).dispute(1n, WRONG))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierThresholdAboveCommittee")
        .withArgs(2n, 1n);
      await verifier.connect(gov).setCommitteeMember(members[1].address, true);
      await expect(verifier.connect(challenger).dispute(1n, WRONG)).to.emit(verifier, "Disputed");
    });
  });

  it("attack: a dispute left to go Void costs the challenger VOID_PENALTY_BPS of its bond, paid to the provider", async () => {
    const { verifier, token, usdc, provider, challenger } = await disputed();
    expect(await verifier.VOID_PENALTY_BPS()).to.equal(1_000n);
    await increaseTime(RESOLUTION + 1n);
    await expect(verifier.resolveTimeout(1n)).to.emit(verifier, "TaskFinalized").withArgs(1n, Outcome.Void, 0n);
    const penalty = (BOND * 1_000n) / BPS;
    expect(await verifier.owed(challenger.address, token)).to.equal(BOND - penalty);
    expect(await verifier.owed(provider.address, token)).to.equal(penalty);
    expect(await verifier.owed(provider.address, usdc)).to.equal(PAYMENT);
    // The bond is conserved: what the challenger loses, the provider gets.
    expect(await token.balanceOf(verifier)).to.equal(BOND);
  });

  describe("reputation farming", () => {
    it("attack: a free task (payment = 0) is refused with OptimisticVerifierZeroPayment", async () => {
      const { verifier, models, usdc, buyer } = await verifierFixture();
      await expect(verifier.connect(buyer).createTask(1n, INPUT, usdc, 0n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierZeroPayment")
        .withArgs(1n);
      expect(await verifier.taskCount()).to.equal(0n);
      expect((await models.getModel(1n)).reputationScore).to.equal(0n);
    });

    it("attack: the provider requesting tasks of its own model is refused with OptimisticVerifierSelfRequest", async () => {
      const { verifier, usdc, provider } = await verifierFixture();
      await usdc.connect(provider).approve(verifier, ethers.MaxUint256);
      await expect(verifier.connect(provider).createTask(1n, INPUT, usdc, PAYMENT))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierSelfRequest")
        .withArgs(1n, provider.address);
      expect(await verifier.taskCount()).to.equal(0n);
    });

    it("a paid task by another requester still raises the reputation once accepted", async () => {
      const { verifier, models } = await submitted();
      await increaseTime(DAY + 1n);
      await verifier.finalizeTask(1n);
      expect((await models.getModel(1n)).reputationScore).to.equal(1n);
      expect((await verifier.getTask(1n)).responseHash).to.equal(RESPONSE);
    });
  });
});
