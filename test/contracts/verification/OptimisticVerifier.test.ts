import { expect } from "chai";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { DAY, ethers, increaseTime, latestTime, type System, units } from "../helpers/system.js";
import {
  BOND,
  INPUT,
  Outcome,
  PAYMENT,
  RESOLUTION,
  RESPONSE,
  requested,
  SLASH,
  submitted,
  TaskStatus,
  TIMEOUT,
  verifierFixture,
  WINDOW,
  WRONG,
} from "../helpers/verifier.js";

describe("OptimisticVerifier", () => {
  it("starts with the deployment's parameters and committee", async () => {
    const { verifier, members } = await verifierFixture();
    expect(await verifier.parameters()).to.deep.equal([WINDOW, RESOLUTION, TIMEOUT, 2n, BOND, SLASH, units(1_000)]);
    expect(await verifier.committeeSize()).to.equal(3n);
    expect(await verifier.isCommitteeMember(members[0].address)).to.equal(true);
    expect(await verifier.taskCount()).to.equal(0n);
  });

  describe("createTask", () => {
    it("escrows the payment and emits TaskCreated with the response deadline", async () => {
      const { verifier, usdc, buyer, provider } = await verifierFixture();
      const tx = await verifier.connect(buyer).createTask(1n, INPUT, usdc, PAYMENT);
      const deadline = (await latestTime()) + TIMEOUT;
      await expect(tx)
        .to.emit(verifier, "TaskCreated")
        .withArgs(1n, buyer.address, provider.address, 1n, INPUT, await usdc.getAddress(), PAYMENT, deadline);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [buyer, verifier], [-PAYMENT, PAYMENT]);
      const task = await verifier.getTask(1n);
      expect([task.status, task.provider, task.deadline, task.payment]).to.deep.equal([
        TaskStatus.Requested,
        provider.address,
        deadline,
        PAYMENT,
      ]);
    });

    it("rejects a zero input hash, a zero token, inactive and unknown models", async () => {
      const { verifier, models, usdc, buyer, provider } = await verifierFixture();
      await expect(verifier.connect(buyer).createTask(1n, ethers.ZeroHash, usdc, 1n)).to.be.revertedWithCustomError(
        verifier,
        "OptimisticVerifierZeroHash",
      );
      await expect(verifier.connect(buyer).createTask(1n, INPUT, ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(
        verifier,
        "OptimisticVerifierInvalidPaymentToken",
      );
      await expect(verifier.connect(buyer).createTask(2n, INPUT, usdc, 1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(2n);
      await models.connect(provider).deactivateModel(1n);
      await expect(verifier.connect(buyer).createTask(1n, INPUT, usdc, 1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierModelInactive")
        .withArgs(1n);
    });

    it("rejects fee-on-transfer tokens with OptimisticVerifierTransferMismatch", async () => {
      const { verifier, buyer } = await verifierFixture();
      const fot = await ethers.deployContract("FeeOnTransferToken");
      await fot.mint(buyer.address, 1_000n);
      await fot.connect(buyer).approve(verifier, 1_000n);
      await expect(verifier.connect(buyer).createTask(1n, INPUT, fot, 1_000n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierTransferMismatch")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });
  });

  describe("submitResult", () => {
    it("records the response and opens the dispute window (in seconds)", async () => {
      const { verifier, provider } = await requested();
      const tx = await verifier.connect(provider).submitResult(1n, RESPONSE);
      const deadline = (await latestTime()) + WINDOW;
      await expect(tx).to.emit(verifier, "ResultSubmitted").withArgs(1n, RESPONSE, deadline);
      const task = await verifier.getTask(1n);
      expect([task.status, task.responseHash, task.deadline]).to.deep.equal([TaskStatus.Submitted, RESPONSE, deadline]);
    });

    it("is provider-only, before the response deadline, once, with a non-zero hash", async () => {
      const { verifier, provider, stranger } = await requested();
      await expect(verifier.connect(stranger).submitResult(1n, RESPONSE))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierNotProvider")
        .withArgs(1n, stranger.address);
      await expect(verifier.connect(provider).submitResult(1n, ethers.ZeroHash)).to.be.revertedWithCustomError(
        verifier,
        "OptimisticVerifierZeroHash",
      );
      await expect(verifier.connect(provider).submitResult(2n, RESPONSE))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierUnknownTask")
        .withArgs(2n);
      const deadline = (await verifier.getTask(1n)).deadline;
      await increaseTime(TIMEOUT + 1n);
      await expect(verifier.connect(provider).submitResult(1n, RESPONSE))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierResponseTooLate")
        .withArgs(1n, deadline);
    });

    it("cannot be repeated", async () => {
      const { verifier, provider } = await submitted();
      await expect(verifier.connect(provider).submitResult(1n, WRONG))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidStatus")
        .withArgs(1n, TaskStatus.Submitted);
    });
  });

  describe("cancelTask", () => {
    it("refunds the requester once the provider missed the response deadline", async () => {
      const { verifier, usdc, buyer, stranger } = await requested();
      const deadline = (await verifier.getTask(1n)).deadline;
      await expect(verifier.connect(buyer).cancelTask(1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierResponsePending")
        .withArgs(1n, deadline);
      await increaseTime(TIMEOUT + 1n);
      await expect(verifier.connect(stranger).cancelTask(1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierNotRequester")
        .withArgs(1n, stranger.address);
      const tx = verifier.connect(buyer).cancelTask(1n);
      await expect(tx).to.emit(verifier, "TaskCancelled").withArgs(1n, PAYMENT);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [verifier, buyer], [-PAYMENT, PAYMENT]);
      expect((await verifier.getTask(1n)).status).to.equal(TaskStatus.Cancelled);
    });

    it("is impossible once a result is in", async () => {
      const { verifier, buyer } = await submitted();
      await expect(verifier.connect(buyer).cancelTask(1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidStatus")
        .withArgs(1n, TaskStatus.Submitted);
    });
  });

  describe("finalizeTask (undisputed)", () => {
    it("releases the payment to the provider after the window and raises its reputation", async () => {
      const { verifier, models, usdc, provider, stranger } = await submitted();
      const deadline = (await verifier.getTask(1n)).deadline;
      await expect(verifier.finalizeTask(1n))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierDisputeWindowOpen")
        .withArgs(1n, deadline);
      await increaseTime(WINDOW + 1n);
      await expect(verifier.connect(stranger).finalizeTask(1n))
        .to.emit(verifier, "TaskFinalized")
        .withArgs(1n, Outcome.Accepted, 0n)
        .and.to.emit(models, "ReputationUpdated")
        .withArgs(1n, true, 1n);
      expect(await verifier.owed(provider.address, usdc)).to.equal(PAYMENT);
      const withdrawal = verifier.connect(provider).withdraw(usdc);
      await expect(withdrawal)
        .to.emit(verifier, "Withdrawn")
        .withArgs(provider.address, await usdc.getAddress(), PAYMENT);
      await expect(withdrawal).to.changeTokenBalances(ethers, usdc, [verifier, provider], [-PAYMENT, PAYMENT]);
      await expect(verifier.connect(provider).withdraw(usdc))
        .to.be.revertedWithCustomError(verifier, "OptimisticVerifierNothingToWithdraw")
        .withArgs(provider.address, await usdc.getAddress());
    });
  });

  describe("governance", () => {
    it("setCommitteeMember adds and removes members and keeps n", async () => {
      const { verifier, gov, members, stranger } = await verifierFixture();
      await expect(verifier.connect(gov).setCommitteeMember(stranger.address, true))
        .to.emit(verifier, "CommitteeMemberUpdated")
        .withArgs(stranger.address, true, 4n);
      await expect(verifier.connect(gov).setCommitteeMember(stranger.address, true))
        .to.emit(verifier, "CommitteeMemberUpdated")
        .withArgs(stranger.address, true, 4n);
      await expect(verifier.connect(gov).setCommitteeMember(members[0].address, false))
        .to.emit(verifier, "CommitteeMemberUpdated")
        .withArgs(members[0].address, false, 3n);
      await expect(verifier.connect(gov).setCommitteeMember(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(
        verifier,
        "OptimisticVerifierInvalidMember",
      );
    });

    it("setProofVerifier sets a model's ZK verifier", async () => {
      const { verifier, gov, stranger } = await verifierFixture();
      await expect(verifier.connect(gov).setProofVerifier(1n, stranger.address))
        .to.emit(verifier, "ProofVerifierUpdated")
        .withArgs(1n, stranger.address);
      expect(await verifier.proofVerifier(1n)).to.equal(stranger.address);
    });

    it("setParameters applies valid windows (seconds) and rejects invalid ones", async () => {
      const { verifier, gov } = await verifierFixture();
      const good = [60n, 30n * DAY, 60n, 1n, 1n, 1n, 0n] as const;
      const named = (p: readonly bigint[]) => ({
        disputeWindow: p[0] ?? 0n,
        resolutionPeriod: p[1] ?? 0n,
        responseTimeout: p[2] ?? 0n,
        committeeThreshold: p[3] ?? 0n,
        challengerBond: p[4] ?? 0n,
        providerSlashAmount: p[5] ?? 0n,
        minCommitteeStake: p[6] ?? 0n,
      });
      await expect(verifier.connect(gov).setParameters(named(good)))
        .to.emit(verifier, "ParametersUpdated")
        .withArgs([...good]);
      const invalid = [
        [59n, DAY, DAY, 1n, 1n, 1n, 0n],
        [DAY, 30n * DAY + 1n, DAY, 1n, 1n, 1n, 0n],
        [DAY, DAY, 59n, 1n, 1n, 1n, 0n],
        [DAY, DAY, DAY, 0n, 1n, 1n, 0n],
        [DAY, DAY, DAY, 1n, 0n, 1n, 0n],
        [DAY, DAY, DAY, 1n, 1n, 0n, 0n],
      ];
      for (const p of invalid) {
        await expect(verifier.connect(gov).setParameters(named(p)))
          .to.be.revertedWithCustomError(verifier, "OptimisticVerifierInvalidParameters")
          .withArgs(p);
      }
    });

    shouldBeGovernanceOnly(verifierFixture, (s: System) => s.verifier, {
      setCommitteeMember: (s, caller) => s.verifier.connect(caller).setCommitteeMember(s.carol.address, true),
      setProofVerifier: (s, caller) => s.verifier.connect(caller).setProofVerifier(1n, s.carol.address),
      setParameters: (s, caller) =>
        s.verifier.connect(caller).setParameters({
          disputeWindow: DAY,
          resolutionPeriod: DAY,
          responseTimeout: DAY,
          committeeThreshold: 1n,
          challengerBond: 1n,
          providerSlashAmount: 1n,
          minCommitteeStake: 0n,
        }),
    });
  });
});
