import { expect } from "chai";
import { BPS, ethers, increaseTime, latestTime, units } from "../helpers/system.js";
import {
  BOND,
  disputed,
  disputedWithProof,
  INPUT,
  Outcome,
  PAYMENT,
  proofFor,
  RESOLUTION,
  RESPONSE,
  SLASH,
  submitted,
  TaskStatus,
  TIMEOUT,
  verifierFixture,
  WINDOW,
  WRONG,
} from "../helpers/verifier.js";

describe("OptimisticVerifier disputes", () => {
  describe("dispute", () => {
    it("posts the bond and opens the resolution period", async () => {
      const { verifier, token, challenger } = await submitted();
      const tx = await verifier.connect(challenger).dispute(1n, WRONG);
      const deadline = (await latestTime()) + RESOLUTION;
      await expect(tx)
        .to.emit(verifier, "Disputed")
        .withArgs(1n, challenger.address, WRONG, BOND, ethers.ZeroAddress, deadline);
      await expect(tx).to.changeTokenBalances(ethers, token, [challenger, verifier], [-BOND, BOND]);
      const task = await verifier.getTask(1n);
      expect([task.status, task.challenger, task.alternativeResponseHash, task.bond]).to.deep.equal([
        TaskStatus.Disputed,
        challenger.address,
        WRONG,
        BOND,
      ]);
    });

    it("rejects the provider itself, a zero or identical alternative hash", async () => {
      const { verifier, provider, challenger } = await submitted();
      await expect(verifier.connect(provider).dispute(1n, WRONG))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierSelfDispute")
        .withArgs(1n);
      for (const hash of [ethers.ZeroHash, RESPONSE]) {
        await expect(verifier.connect(challenger).dispute(1n, hash))
          .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidResponseHash")
          .withArgs(1n, hash);
      }
    });

    it("attack: a dispute after the window is refused, and a finalised task cannot be disputed", async () => {
      const { verifier, challenger } = await submitted();
      const deadline = (await verifier.getTask(1n)).deadline;
      await increaseTime(WINDOW + 1n);
      await expect(verifier.connect(challenger).dispute(1n, WRONG))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierDisputeWindowClosed")
        .withArgs(1n, deadline);
      await verifier.finalizeTask(1n);
      await expect(verifier.connect(challenger).dispute(1n, WRONG))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidStatus")
        .withArgs(1n, TaskStatus.Finalized);
    });

    it("cannot dispute twice or before a result", async () => {
      const f = await disputed();
      await expect(f.verifier.connect(f.stranger).dispute(1n, ethers.id("third")))
        .to.be.revertedWithCustomError(f.verifier, "OptimisticVerifierInvalidStatus")
        .withArgs(1n, TaskStatus.Disputed);
      await f.verifier.connect(f.buyer).createTask(1n, INPUT, f.usdc, PAYMENT);
      await expect(f.verifier.connect(f.challenger).dispute(2n, WRONG))
        .to.be.revertedWithCustomError(f.verifier, "OptimisticVerifierInvalidStatus")
        .withArgs(2n, TaskStatus.Requested);
    });
  });

  describe("committee resolution (m-of-n votes)", () => {
    it("slashes a wrong provider once m members vote against it; the challenger gets bond back and the winner share", async () => {
      const { verifier, staking, models, token, usdc, members, provider, buyer, challenger } = await disputed();
      await expect(verifier.connect(members[0]).vote(1n, false))
        .to.emit(verifier, "VoteCast")
        .withArgs(1n, members[0].address, false);
      expect(await verifier.hasVoted(1n, members[0].address)).to.equal(true);
      const toChallenger = (SLASH * 5_000n) / BPS;
      const tx = verifier.connect(members[1]).vote(1n, false);
      await expect(tx)
        .to.emit(verifier, "TaskFinalized")
        .withArgs(1n, Outcome.ChallengerWon, SLASH)
        .and.to.emit(staking, "Slashed")
        .withArgs(
          provider.address,
          await models.getAddress(),
          challenger.address,
          SLASH,
          toChallenger,
          SLASH - toChallenger,
        )
        .and.to.emit(models, "ReputationUpdated")
        .withArgs(1n, false, 0n);
      await expect(tx).to.changeTokenBalance(ethers, token, challenger, toChallenger);
      expect(await staking.stakeOf(provider.address)).to.equal(units(5_000) - SLASH);
      expect(await verifier.owed(buyer.address, usdc)).to.equal(PAYMENT);
      expect(await verifier.owed(challenger.address, token)).to.equal(BOND);
      const task = await verifier.getTask(1n);
      expect([task.status, task.outcome, task.votesForChallenger]).to.deep.equal([
        TaskStatus.Finalized,
        Outcome.ChallengerWon,
        2n,
      ]);
    });

    it("pays the provider and forfeits the bond when m members back the provider", async () => {
      const { verifier, treasury, token, usdc, members, provider } = await disputed();
      await verifier.connect(members[2]).vote(1n, true);
      const toProvider = (BOND * 5_000n) / BPS;
      const forfeited = BOND - toProvider;
      const tx = verifier.connect(members[0]).vote(1n, true);
      await expect(tx).to.emit(verifier, "TaskFinalized").withArgs(1n, Outcome.ProviderWon, 0n);
      await expect(tx)
        .to.emit(treasury, "FeeDeposited")
        .withArgs(await verifier.getAddress(), await token.getAddress(), forfeited, forfeited / 2n);
      expect(await verifier.owed(provider.address, usdc)).to.equal(PAYMENT);
      expect(await verifier.owed(provider.address, token)).to.equal(toProvider);
    });

    it("refuses non-members, under-staked members, conflicted members and second votes", async () => {
      const { verifier, staking, gov, members, stranger, provider } = await disputed();
      await expect(verifier.connect(stranger).vote(1n, true))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierNotCommitteeMember")
        .withArgs(stranger.address);
      await verifier.connect(gov).setCommitteeMember(stranger.address, true);
      await expect(verifier.connect(stranger).vote(1n, true))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInsufficientCommitteeStake")
        .withArgs(stranger.address, 0n, units(1_000));
      await verifier.connect(gov).setCommitteeMember(provider.address, true);
      await expect(verifier.connect(provider).vote(1n, true))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierConflictedMember")
        .withArgs(1n, provider.address);
      await verifier.connect(members[0]).vote(1n, true);
      await expect(verifier.connect(members[0]).vote(1n, false))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierAlreadyVoted")
        .withArgs(1n, members[0].address);
      await staking.connect(members[1]).requestUnstake(1n);
      await expect(verifier.connect(members[1]).vote(1n, true))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInsufficientCommitteeStake")
        .withArgs(members[1].address, units(1_000) - 1n, units(1_000));
    });

    it("voids an unresolved dispute after the resolution period: payment to the provider, bond back less the Void penalty", async () => {
      const { verifier, token, usdc, members, provider, challenger } = await disputed();
      await verifier.connect(members[0]).vote(1n, false);
      const deadline = (await verifier.getTask(1n)).deadline;
      await expect(verifier.resolveTimeout(1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierResolutionPending")
        .withArgs(1n, deadline);
      await increaseTime(RESOLUTION + 1n);
      await expect(verifier.connect(members[1]).vote(1n, false))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierResolutionPeriodOver")
        .withArgs(1n, deadline);
      await expect(verifier.resolveTimeout(1n)).to.emit(verifier, "TaskFinalized").withArgs(1n, Outcome.Void, 0n);
      // A Void dispute costs the challenger 10 % of its bond, credited to the provider for the delayed payment.
      const penalty = BOND / 10n;
      expect(await verifier.owed(challenger.address, token)).to.equal(BOND - penalty);
      expect(await verifier.owed(provider.address, token)).to.equal(penalty);
      expect(await verifier.owed(provider.address, usdc)).to.equal(PAYMENT);
    });

    it("does not take proofs for committee disputes", async () => {
      const { verifier } = await disputed();
      await expect(verifier.resolveWithProof(1n, RESPONSE, proofFor(RESPONSE)))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierNoProofVerifier")
        .withArgs(1n);
    });
  });

  describe("ZK resolution", () => {
    it("a valid proof of the provider's response settles for the provider", async () => {
      const { verifier, stranger, zk } = await disputedWithProof();
      expect((await verifier.getTask(1n)).proofVerifier).to.equal(await zk.getAddress());
      await expect(verifier.connect(stranger).resolveWithProof(1n, RESPONSE, proofFor(RESPONSE)))
        .to.emit(verifier, "TaskFinalized")
        .withArgs(1n, Outcome.ProviderWon, 0n);
    });

    it("a valid proof of the challenger's response slashes the provider", async () => {
      const { verifier } = await disputedWithProof();
      await expect(verifier.resolveWithProof(1n, WRONG, proofFor(WRONG)))
        .to.emit(verifier, "TaskFinalized")
        .withArgs(1n, Outcome.ChallengerWon, SLASH);
    });

    it("rejects invalid proofs, other hashes, votes, and proofs after the deadline", async () => {
      const { verifier, members } = await disputedWithProof();
      await expect(verifier.resolveWithProof(1n, RESPONSE, proofFor(WRONG)))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidProof")
        .withArgs(1n, RESPONSE);
      const other = ethers.id("other");
      await expect(verifier.resolveWithProof(1n, other, proofFor(other)))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidResponseHash")
        .withArgs(1n, other);
      await expect(verifier.connect(members[0]).vote(1n, true))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierProofRequired")
        .withArgs(1n);
      const deadline = (await verifier.getTask(1n)).deadline;
      await increaseTime(RESOLUTION + 1n);
      await expect(verifier.resolveWithProof(1n, RESPONSE, proofFor(RESPONSE)))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierResolutionPeriodOver")
        .withArgs(1n, deadline);
    });

    it("a provider that never proves its response loses at the deadline", async () => {
      const { verifier } = await disputedWithProof();
      await increaseTime(RESOLUTION + 1n);
      await expect(verifier.resolveTimeout(1n))
        .to.emit(verifier, "TaskFinalized")
        .withArgs(1n, Outcome.ChallengerWon, SLASH);
    });
  });

  describe("attack: reentrancy on payouts", () => {
    it("withdraw and cancelTask cannot be re-entered", async () => {
      const f = await verifierFixture();
      const { verifier, buyer, provider } = f;
      const evil = await ethers.deployContract("ReentrantToken");
      await evil.mint(buyer.address, 1_000n);
      await evil.connect(buyer).approve(verifier, 1_000n);
      await verifier.connect(buyer).createTask(1n, INPUT, evil, 100n);
      await verifier.connect(buyer).createTask(1n, INPUT, evil, 100n);
      await increaseTime(TIMEOUT + 1n);
      await evil.arm(verifier, verifier.interface.encodeFunctionData("cancelTask", [2n]));
      await expect(verifier.connect(buyer).cancelTask(1n)).to.be.revertedWithCustomError(
        verifier,
        "ReentrancyGuardReentrantCall",
      );
      await evil.arm(ethers.ZeroAddress, "0x");
      await verifier.connect(buyer).createTask(1n, INPUT, evil, 100n);
      await verifier.connect(provider).submitResult(3n, RESPONSE);
      await increaseTime(WINDOW + 1n);
      await verifier.finalizeTask(3n);
      await evil.arm(verifier, verifier.interface.encodeFunctionData("withdraw", [await evil.getAddress()]));
      await expect(verifier.connect(provider).withdraw(evil)).to.be.revertedWithCustomError(
        verifier,
        "ReentrancyGuardReentrantCall",
      );
    });
  });
});
