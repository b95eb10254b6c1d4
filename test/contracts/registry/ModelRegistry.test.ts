import { expect } from "chai";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { createJob } from "../helpers/jobs.js";
import { ENDPOINT, linkedModel, MIN_STAKE, modelParams, modelsFixture, PRICE, WEIGHTS } from "../helpers/models.js";
import { ethers, loadSystem, type System } from "../helpers/system.js";

describe("ModelRegistry", () => {
  it("exposes its parameters and constants", async () => {
    const { models } = await loadSystem();
    expect(await models.parameters()).to.deep.equal([MIN_STAKE, 250n, 7_000n, 1_500n, 1_500n]);
    expect(await models.VERIFIER_ROLE()).to.equal(ethers.id("VERIFIER_ROLE"));
    expect(await models.REPUTATION_PENALTY()).to.equal(10n);
    expect(await models.MAX_FEE_BPS()).to.equal(1_000n);
  });

  describe("registerModel", () => {
    it("registers the model, locks its stake and emits ModelRegistered with every field", async () => {
      const f = await modelsFixture();
      const { models, staking, provider, usdc } = f;
      await expect(models.connect(provider).registerModel(modelParams(f)))
        .to.emit(models, "ModelRegistered")
        .withArgs(
          1n,
          provider.address,
          0n,
          ethers.id("weights"),
          WEIGHTS,
          ENDPOINT,
          3n,
          PRICE,
          await usdc.getAddress(),
          MIN_STAKE,
        );
      expect(await staking.lockedOf(provider.address)).to.equal(MIN_STAKE);
      const model = await models.getModel(1n);
      expect([model.provider, model.active, model.stake, model.reputationScore]).to.deep.equal([
        provider.address,
        true,
        MIN_STAKE,
        0n,
      ]);
      expect([model.modelURI, model.endpoint, model.pricePerToken]).to.deep.equal([WEIGHTS, ENDPOINT, 3n]);
      expect(await models.modelCount()).to.equal(1n);
    });

    it("requires the governance minimum stake, and free stake in Staking to lock", async () => {
      const f = await modelsFixture();
      const { models, staking, provider, stranger } = f;
      await expect(models.connect(provider).registerModel(modelParams(f, { stake: MIN_STAKE - 1n })))
        .to.be.revertedWithCustomError(models, "ModelRegistryInsufficientStake")
        .withArgs(MIN_STAKE - 1n, MIN_STAKE);
      await expect(models.connect(stranger).registerModel(modelParams(f)))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientStake")
        .withArgs(stranger.address, 0n, MIN_STAKE);
    });

    it("rejects a zero model hash and a zero payment token", async () => {
      const f = await modelsFixture();
      await expect(
        f.models.connect(f.provider).registerModel(modelParams(f, { modelHash: ethers.ZeroHash })),
      ).to.be.revertedWithCustomError(f.models, "ModelRegistryInvalidModelHash");
      await expect(
        f.models.connect(f.provider).registerModel(modelParams(f, { paymentToken: ethers.ZeroAddress })),
      ).to.be.revertedWithCustomError(f.models, "ModelRegistryInvalidPaymentToken");
    });

    it("references a job only for its researcher or a provider the researcher approved", async () => {
      const f = await modelsFixture();
      const { models, provider, researcher, jobId } = f;
      await expect(models.connect(provider).registerModel(modelParams(f, { jobId })))
        .to.be.revertedWithCustomError(models, "ModelRegistryProviderNotApproved")
        .withArgs(jobId, provider.address);
      await expect(models.connect(researcher).registerModel(modelParams(f, { jobId })))
        .to.emit(models, "ModelRegistered")
        .withArgs(1n, researcher.address, jobId, ...Array(7).fill((v: unknown) => v !== undefined));
    });

    it("references only finalised, existing jobs", async () => {
      const f = await modelsFixture();
      const { models, jobs, researcher } = f;
      const open = await createJob(f);
      await expect(models.connect(researcher).registerModel(modelParams(f, { jobId: open })))
        .to.be.revertedWithCustomError(models, "ModelRegistryJobNotFinalized")
        .withArgs(open);
      await expect(models.connect(researcher).registerModel(modelParams(f, { jobId: 99n })))
        .to.be.revertedWithCustomError(jobs, "TrainingJobsUnknownJob")
        .withArgs(99n);
    });
  });

  describe("setProviderApproval", () => {
    it("lets the job's researcher approve and revoke providers", async () => {
      const { models, researcher, provider, jobId } = await modelsFixture();
      await expect(models.connect(researcher).setProviderApproval(jobId, provider.address, true))
        .to.emit(models, "ProviderApprovalUpdated")
        .withArgs(jobId, provider.address, true);
      expect(await models.isProviderApproved(jobId, provider.address)).to.equal(true);
      await models.connect(researcher).setProviderApproval(jobId, provider.address, false);
      expect(await models.isProviderApproved(jobId, provider.address)).to.equal(false);
    });

    it("refuses anyone else with ModelRegistryNotResearcher", async () => {
      const { models, provider, jobId } = await modelsFixture();
      await expect(models.connect(provider).setProviderApproval(jobId, provider.address, true))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotResearcher")
        .withArgs(jobId, provider.address);
    });
  });

  describe("updateModel and deactivateModel", () => {
    it("updates the offer and emits ModelUpdated", async () => {
      const { models, provider } = await linkedModel();
      await expect(models.connect(provider).updateModel(1n, "https://new", 5n, 7n))
        .to.emit(models, "ModelUpdated")
        .withArgs(1n, "https://new", 5n, 7n);
      const model = await models.getModel(1n);
      expect([model.endpoint, model.pricePerToken, model.licensePrice]).to.deep.equal(["https://new", 5n, 7n]);
    });

    it("deactivates for good, unlocking the stake", async () => {
      const { models, staking, provider } = await linkedModel();
      await expect(models.connect(provider).deactivateModel(1n))
        .to.emit(models, "ModelDeactivated")
        .withArgs(1n, MIN_STAKE);
      expect(await staking.lockedOf(provider.address)).to.equal(0n);
      expect((await models.getModel(1n)).active).to.equal(false);
      await expect(models.connect(provider).updateModel(1n, "x", 1n, 1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryInactive")
        .withArgs(1n);
      await expect(models.connect(provider).deactivateModel(1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryInactive")
        .withArgs(1n);
    });

    it("is provider-only and refuses unknown models", async () => {
      const { models, stranger, provider } = await linkedModel();
      await expect(models.connect(stranger).updateModel(1n, "x", 1n, 1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotProvider")
        .withArgs(1n, stranger.address);
      await expect(models.connect(stranger).deactivateModel(1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotProvider")
        .withArgs(1n, stranger.address);
      await expect(models.connect(provider).updateModel(2n, "x", 1n, 1n))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(2n);
      await expect(models.getModel(2n)).to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel");
    });
  });

  describe("recordOutcome", () => {
    it("raises reputation by one per correct result and lowers it by the penalty, not below zero", async () => {
      const { models, gov, alice } = await linkedModel();
      await models.connect(gov).grantRole(await models.VERIFIER_ROLE(), alice.address);
      for (let i = 1n; i <= 12n; i++) {
        await expect(models.connect(alice).recordOutcome(1n, true))
          .to.emit(models, "ReputationUpdated")
          .withArgs(1n, true, i);
      }
      await expect(models.connect(alice).recordOutcome(1n, false))
        .to.emit(models, "ReputationUpdated")
        .withArgs(1n, false, 2n);
      await expect(models.connect(alice).recordOutcome(1n, false))
        .to.emit(models, "ReputationUpdated")
        .withArgs(1n, false, 0n);
      await expect(models.connect(alice).recordOutcome(9n, true))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(9n);
    });

    it("is reserved to VERIFIER_ROLE", async () => {
      const { models, stranger } = await linkedModel();
      await expect(models.connect(stranger).recordOutcome(1n, true))
        .to.be.revertedWithCustomError(models, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await models.VERIFIER_ROLE());
    });
  });

  describe("setParameters", () => {
    it("applies new parameters and emits ParametersUpdated", async () => {
      const { models, gov } = await loadSystem();
      const next = {
        minModelStake: 1n,
        protocolFeeBps: 1_000n,
        providerShareBps: 10_000n,
        researcherShareBps: 0n,
        contributorShareBps: 0n,
      };
      await expect(models.connect(gov).setParameters(next))
        .to.emit(models, "ParametersUpdated")
        .withArgs([1n, 1_000n, 10_000n, 0n, 0n]);
    });

    it("rejects a fee above 10 % or shares that do not sum to 100 %", async () => {
      const { models, gov } = await loadSystem();
      for (const bad of [
        [0n, 1_001n, 10_000n, 0n, 0n],
        [0n, 0n, 5_000n, 2_500n, 2_499n],
        [0n, 0n, 5_000n, 2_500n, 2_501n],
      ] as const) {
        const [minModelStake, protocolFeeBps, providerShareBps, researcherShareBps, contributorShareBps] = bad;
        await expect(
          models.connect(gov).setParameters({
            minModelStake,
            protocolFeeBps,
            providerShareBps,
            researcherShareBps,
            contributorShareBps,
          }),
        )
          .to.be.revertedWithCustomError(models, "ModelRegistryInvalidParameters")
          .withArgs([...bad]);
      }
    });

    shouldBeGovernanceOnly(loadSystem, (s: System) => s.models, {
      setParameters: (s, caller) =>
        s.models.connect(caller).setParameters({
          minModelStake: 1n,
          protocolFeeBps: 0n,
          providerShareBps: 10_000n,
          researcherShareBps: 0n,
          contributorShareBps: 0n,
        }),
    });
  });
});
