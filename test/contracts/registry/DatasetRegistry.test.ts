import { expect } from "chai";
import { E18, ethers, loadSystem } from "../helpers/system.js";

const COMMITMENT = ethers.id("manifest v1");
const CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
const EPSILON = 3n * E18;
const DELTA = 10n ** 13n; // 1e-5

async function enrolled() {
  const system = await loadSystem();
  await system.datasets.connect(system.alice).registerDataset(COMMITMENT, CID, 100n, EPSILON, DELTA);
  return system;
}

describe("DatasetRegistry", () => {
  describe("registerDataset", () => {
    it("assigns sequential ids from 1 and emits everything an indexer needs", async () => {
      const { datasets, alice, bob } = await loadSystem();
      await expect(datasets.connect(alice).registerDataset(COMMITMENT, CID, 100n, EPSILON, DELTA))
        .to.emit(datasets, "DatasetRegistered")
        .withArgs(1n, alice.address, COMMITMENT, CID, 100n, EPSILON, DELTA);
      await expect(datasets.connect(bob).registerDataset(ethers.id("other"), CID, 5n, E18, 0n))
        .to.emit(datasets, "DatasetRegistered")
        .withArgs(2n, bob.address, ethers.id("other"), CID, 5n, E18, 0n);
      expect(await datasets.datasetCount()).to.equal(2n);
      const stored = await datasets.getDataset(1n);
      expect(stored.owner).to.equal(alice.address);
      expect(stored.active).to.equal(true);
      expect(stored.commitment).to.equal(COMMITMENT);
      expect(stored.metadataURI).to.equal(CID);
      expect(stored.pricePerRound).to.equal(100n);
      expect([stored.epsilon, stored.delta]).to.deep.equal([EPSILON, DELTA]);
      expect(await datasets.isActive(1n)).to.equal(true);
      expect(await datasets.PRIVACY_SCALE()).to.equal(E18);
    });

    it("rejects a zero commitment, an empty URI and an invalid privacy budget", async () => {
      const { datasets, alice } = await loadSystem();
      await expect(
        datasets.connect(alice).registerDataset(ethers.ZeroHash, CID, 1n, EPSILON, DELTA),
      ).to.be.revertedWithCustomError(datasets, "DatasetRegistryInvalidCommitment");
      await expect(
        datasets.connect(alice).registerDataset(COMMITMENT, "", 1n, EPSILON, DELTA),
      ).to.be.revertedWithCustomError(datasets, "DatasetRegistryEmptyMetadataURI");
      await expect(datasets.connect(alice).registerDataset(COMMITMENT, CID, 1n, 0n, DELTA))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryInvalidPrivacyBudget")
        .withArgs(0n, DELTA);
      await expect(datasets.connect(alice).registerDataset(COMMITMENT, CID, 1n, EPSILON, E18))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryInvalidPrivacyBudget")
        .withArgs(EPSILON, E18);
    });
  });

  describe("updateDataset", () => {
    it("replaces the description and emits DatasetUpdated with the new values", async () => {
      const { datasets, alice } = await enrolled();
      const next = ethers.id("manifest v2");
      await expect(datasets.connect(alice).updateDataset(1n, next, "bafknew", 7n, E18, 1n))
        .to.emit(datasets, "DatasetUpdated")
        .withArgs(1n, next, "bafknew", 7n, E18, 1n);
      const stored = await datasets.getDataset(1n);
      expect([stored.commitment, stored.metadataURI, stored.pricePerRound]).to.deep.equal([next, "bafknew", 7n]);
    });

    it("is owner-only, checks the description and refuses inactive or unknown datasets", async () => {
      const { datasets, alice, bob } = await enrolled();
      await expect(datasets.connect(bob).updateDataset(1n, COMMITMENT, CID, 1n, EPSILON, DELTA))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryNotOwner")
        .withArgs(1n, bob.address);
      await expect(datasets.connect(alice).updateDataset(9n, COMMITMENT, CID, 1n, EPSILON, DELTA))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryUnknownDataset")
        .withArgs(9n);
      await expect(
        datasets.connect(alice).updateDataset(1n, ethers.ZeroHash, CID, 1n, EPSILON, DELTA),
      ).to.be.revertedWithCustomError(datasets, "DatasetRegistryInvalidCommitment");
      await datasets.connect(alice).deactivateDataset(1n);
      await expect(datasets.connect(alice).updateDataset(1n, COMMITMENT, CID, 1n, EPSILON, DELTA))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryInactive")
        .withArgs(1n);
    });
  });

  describe("deactivateDataset", () => {
    it("deactivates for good and emits DatasetDeactivated", async () => {
      const { datasets, alice, bob } = await enrolled();
      await expect(datasets.connect(bob).deactivateDataset(1n))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryNotOwner")
        .withArgs(1n, bob.address);
      await expect(datasets.connect(alice).deactivateDataset(1n)).to.emit(datasets, "DatasetDeactivated").withArgs(1n);
      expect(await datasets.isActive(1n)).to.equal(false);
      await expect(datasets.connect(alice).deactivateDataset(1n))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryInactive")
        .withArgs(1n);
    });
  });

  describe("transferDataset", () => {
    it("hands the dataset to a new owner, who alone controls it afterwards", async () => {
      const { datasets, alice, bob } = await enrolled();
      await expect(datasets.connect(alice).transferDataset(1n, bob.address))
        .to.emit(datasets, "DatasetTransferred")
        .withArgs(1n, alice.address, bob.address);
      expect((await datasets.getDataset(1n)).owner).to.equal(bob.address);
      await expect(datasets.connect(alice).deactivateDataset(1n))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryNotOwner")
        .withArgs(1n, alice.address);
      await datasets.connect(bob).deactivateDataset(1n);
    });

    it("rejects the zero address, the current owner, and non-owners", async () => {
      const { datasets, alice, bob } = await enrolled();
      for (const to of [ethers.ZeroAddress, alice.address]) {
        await expect(datasets.connect(alice).transferDataset(1n, to))
          .to.be.revertedWithCustomError(datasets, "DatasetRegistryInvalidNewOwner")
          .withArgs(to);
      }
      await expect(datasets.connect(bob).transferDataset(1n, bob.address))
        .to.be.revertedWithCustomError(datasets, "DatasetRegistryNotOwner")
        .withArgs(1n, bob.address);
    });
  });

  it("getDataset reverts for unknown ids and isActive is false for them", async () => {
    const { datasets } = await loadSystem();
    await expect(datasets.getDataset(1n)).to.be.revertedWithCustomError(datasets, "DatasetRegistryUnknownDataset");
    expect(await datasets.isActive(1n)).to.equal(false);
  });
});
