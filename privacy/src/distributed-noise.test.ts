import { describe, expect, it } from "vitest";
import { distributedNoiseShare, effectiveNoiseMultiplier, quantisedSensitivity } from "./distributed-noise.js";
import { RdpAccountant } from "./rdp-accountant.js";

describe("distributed discrete Gaussian noise under secure aggregation", () => {
  const z = 1.1;
  const delta = quantisedSensitivity(1, 2 ** 16, 10_000); // 65,536 + 50
  const minSurvivors = 8;
  const noise = distributedNoiseShare(z, delta, minSurvivors);

  it("shares noise so that m_min survivors carry exactly the central noise, more carry more", () => {
    expect(delta).toBe(65_536 + 50);
    expect(noise.shareSigma).toBeCloseTo((z * delta) / Math.sqrt(8), 9);
    expect(effectiveNoiseMultiplier(noise.shareSigma, delta, minSurvivors)).toBeCloseTo(z, 12);
    expect(effectiveNoiseMultiplier(noise.shareSigma, delta, 32)).toBeCloseTo(2 * z, 12);
  });

  it("charges what the central-noise accountant charges at z, and the Gaussian RDP α/(2z²) per full round", () => {
    const rounds = 20;
    const distributed = new RdpAccountant().step(noise.chargedNoiseMultiplier, 1, rounds);
    const central = new RdpAccountant().step(z, 1, rounds);
    expect(distributed.getEpsilon(1e-5).epsilon).toBe(central.getEpsilon(1e-5).epsilon);
    // Closed form (Mironov 2017): the Gaussian mechanism with multiplier z has RDP α/(2z²) at order α.
    const rdp = distributed.rdp();
    distributed.orders.forEach((alpha, k) => {
      expect(rdp[k] as number).toBeCloseTo((rounds * alpha) / (2 * z * z), 6);
    });
    // A round that survived with m > m_min is over-noised: charging it at z_eff would cost less, never more.
    const zEff = effectiveNoiseMultiplier(noise.shareSigma, delta, 12);
    expect(new RdpAccountant().step(zEff, 1, rounds).getEpsilon(1e-5).epsilon).toBeLessThan(
      central.getEpsilon(1e-5).epsilon,
    );
  });

  it("refuses a share below one quantisation step", () => {
    expect(() => distributedNoiseShare(0.5, 1, 100)).toThrow(/raise the scale/);
  });
});
