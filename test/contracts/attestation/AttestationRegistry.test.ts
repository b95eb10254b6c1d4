import { expect } from "chai";
import { shouldBeGovernanceOnly } from "../helpers/behaviours.js";
import { DAY, ethers, increaseTime, latestTime, loadSystem, type System } from "../helpers/system.js";

const Tee = { AwsNitro: 0n, SgxMrEnclave: 1n, SgxMrSigner: 2n, IntelTdx: 3n };
// Nitro PCRs and TDX MRTD are 48 bytes: the registry keeps their SHA-256.
const NITRO_PCRS = ethers.sha256(ethers.randomBytes(48));
const MRENCLAVE = ethers.hexlify(ethers.randomBytes(32));
const DOC = ethers.id("attestation document");

async function allowlisted() {
  const system = await loadSystem();
  const { attestation, gov, alice } = system;
  await attestation.connect(gov).setMeasurementAllowed(Tee.AwsNitro, NITRO_PCRS, true);
  await attestation.connect(gov).grantRole(await attestation.REGISTRAR_ROLE(), alice.address);
  return system;
}

describe("AttestationRegistry", () => {
  describe("setMeasurementAllowed", () => {
    it("adds and removes measurements per TEE kind", async () => {
      const { attestation, gov } = await loadSystem();
      await expect(attestation.connect(gov).setMeasurementAllowed(Tee.SgxMrEnclave, MRENCLAVE, true))
        .to.emit(attestation, "MeasurementAllowlistUpdated")
        .withArgs(Tee.SgxMrEnclave, MRENCLAVE, true);
      expect(await attestation.isMeasurementAllowed(Tee.SgxMrEnclave, MRENCLAVE)).to.equal(true);
      // The same value under another kind is a different entry.
      expect(await attestation.isMeasurementAllowed(Tee.SgxMrSigner, MRENCLAVE)).to.equal(false);
      await attestation.connect(gov).setMeasurementAllowed(Tee.SgxMrEnclave, MRENCLAVE, false);
      expect(await attestation.isMeasurementAllowed(Tee.SgxMrEnclave, MRENCLAVE)).to.equal(false);
    });

    it("rejects a zero measurement", async () => {
      const { attestation, gov } = await loadSystem();
      await expect(
        attestation.connect(gov).setMeasurementAllowed(Tee.IntelTdx, ethers.ZeroHash, true),
      ).to.be.revertedWithCustomError(attestation, "AttestationRegistryInvalidMeasurement");
    });

    shouldBeGovernanceOnly(loadSystem, (s: System) => s.attestation, {
      setMeasurementAllowed: (s, caller) => s.attestation.connect(caller).setMeasurementAllowed(0n, MRENCLAVE, true),
      "grantRole(REGISTRAR_ROLE)": async (s, caller) =>
        s.attestation.connect(caller).grantRole(await s.attestation.REGISTRAR_ROLE(), s.carol.address),
    });
  });

  describe("recordAttestation", () => {
    it("records an attested key that counts until it expires", async () => {
      const { attestation, alice, bob } = await allowlisted();
      const expiry = (await latestTime()) + DAY;
      await expect(attestation.connect(alice).recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, expiry))
        .to.emit(attestation, "AttestationRecorded")
        .withArgs(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, expiry, alice.address);
      expect(await attestation.isAttested(bob.address)).to.equal(true);
      expect(await attestation.getAttestation(bob.address)).to.deep.equal([
        Tee.AwsNitro,
        expiry,
        alice.address,
        NITRO_PCRS,
        DOC,
      ]);
      await increaseTime(DAY);
      expect(await attestation.isAttested(bob.address)).to.equal(false);
    });

    it("stops counting a key when governance removes its measurement", async () => {
      const { attestation, gov, alice, bob } = await allowlisted();
      await attestation
        .connect(alice)
        .recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, (await latestTime()) + DAY);
      await attestation.connect(gov).setMeasurementAllowed(Tee.AwsNitro, NITRO_PCRS, false);
      expect(await attestation.isAttested(bob.address)).to.equal(false);
    });

    it("rejects a zero signer, an unlisted measurement, a zero document hash and a past expiry", async () => {
      const { attestation, alice, bob } = await allowlisted();
      const expiry = (await latestTime()) + DAY;
      await expect(
        attestation.connect(alice).recordAttestation(ethers.ZeroAddress, Tee.AwsNitro, NITRO_PCRS, DOC, expiry),
      ).to.be.revertedWithCustomError(attestation, "AttestationRegistryInvalidSigner");
      await expect(attestation.connect(alice).recordAttestation(bob.address, Tee.IntelTdx, NITRO_PCRS, DOC, expiry))
        .to.be.revertedWithCustomError(attestation, "AttestationRegistryMeasurementNotAllowed")
        .withArgs(Tee.IntelTdx, NITRO_PCRS);
      await expect(
        attestation.connect(alice).recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, ethers.ZeroHash, expiry),
      ).to.be.revertedWithCustomError(attestation, "AttestationRegistryInvalidAttestationHash");
      const now = (await latestTime()) + 1n;
      await expect(attestation.connect(alice).recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, now))
        .to.be.revertedWithCustomError(attestation, "AttestationRegistryInvalidExpiry")
        .withArgs(now);
      await expect(attestation.connect(alice).recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, 2n ** 40n))
        .to.be.revertedWithCustomError(attestation, "AttestationRegistryInvalidExpiry")
        .withArgs(2n ** 40n);
    });

    it("is reserved to REGISTRAR_ROLE", async () => {
      const { attestation, bob } = await allowlisted();
      await expect(attestation.connect(bob).recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, 2n ** 33n))
        .to.be.revertedWithCustomError(attestation, "AccessControlUnauthorizedAccount")
        .withArgs(bob.address, await attestation.REGISTRAR_ROLE());
    });
  });

  describe("revokeAttestation", () => {
    it("deletes a record; revoking nothing fails", async () => {
      const { attestation, alice, bob } = await allowlisted();
      await attestation
        .connect(alice)
        .recordAttestation(bob.address, Tee.AwsNitro, NITRO_PCRS, DOC, (await latestTime()) + DAY);
      await expect(attestation.connect(alice).revokeAttestation(bob.address))
        .to.emit(attestation, "AttestationRevoked")
        .withArgs(bob.address, alice.address);
      expect(await attestation.isAttested(bob.address)).to.equal(false);
      await expect(attestation.connect(alice).revokeAttestation(bob.address))
        .to.be.revertedWithCustomError(attestation, "AttestationRegistryNoAttestation")
        .withArgs(bob.address);
      await expect(attestation.getAttestation(bob.address))
        .to.be.revertedWithCustomError(attestation, "AttestationRegistryNoAttestation")
        .withArgs(bob.address);
    });

    it("is reserved to REGISTRAR_ROLE", async () => {
      const { attestation, bob } = await allowlisted();
      await expect(attestation.connect(bob).revokeAttestation(bob.address))
        .to.be.revertedWithCustomError(attestation, "AccessControlUnauthorizedAccount")
        .withArgs(bob.address, await attestation.REGISTRAR_ROLE());
    });
  });
});
