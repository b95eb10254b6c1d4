import { describe, expect, it } from "vitest";
import { AdaptiveClipping } from "./adaptive-clipping.js";
import { RdpAccountant } from "./rdp-accountant.js";

describe("AdaptiveClipping", () => {
  it("tracks the target quantile of the update norms (Andrew et al. 2021)", () => {
    // 500 clients whose norms are 0.01, 0.02, …, 5.00; the empirical 0.7-quantile is the reference.
    const norms = Array.from({ length: 500 }, (_, i) => (i + 1) / 100);
    const quantile = [...norms].sort((a, b) => a - b)[Math.ceil(0.7 * norms.length) - 1] as number;
    const clipping = new AdaptiveClipping({
      initialClipNorm: 0.1,
      targetQuantile: 0.7,
      learningRate: 0.2,
      countNoiseStddev: 5,
      expectedClients: 500,
    });
    for (let round = 0; round < 300; round++) {
      const unclipped = norms.reduce((count, norm) => count + clipping.indicator(norm), 0);
      clipping.update(unclipped, norms.length);
    }
    // The noisy fraction has standard deviation 5/500 = 0.01 of a quantile, i.e. about ±0.05 in norm here.
    expect(Math.abs(clipping.clipNorm - quantile)).toBeLessThan(0.3);
  });

  it("splits a total noise multiplier between update and count, and accounts the round at the total", () => {
    const clipping = new AdaptiveClipping({ initialClipNorm: 1, countNoiseStddev: 10, expectedClients: 100 });
    const total = 1.2;
    const zDelta = clipping.updateNoiseMultiplier(total);
    // Closed form: z⁻² = z_Δ⁻² + (2σ_b)⁻².
    expect(zDelta ** -2 + 20 ** -2).toBeCloseTo(total ** -2, 12);
    expect(clipping.combinedNoiseMultiplier(zDelta)).toBeCloseTo(total, 12);
    // Without sampling, Gaussian RDP is α/(2z²) per round: the update and the count compose to exactly that.
    const accountant = new RdpAccountant({ orders: [2, 8, 32] });
    for (let round = 0; round < 10; round++) clipping.recordRound(accountant, 1, zDelta);
    Array.from(accountant.rdp()).forEach((value, k) => {
      const order = [2, 8, 32][k] as number;
      expect(value).toBeCloseTo((10 * order) / (2 * total * total), 10);
      expect(value).toBeCloseTo(10 * (order / (2 * zDelta * zDelta) + order / (2 * 20 * 20)), 10);
    });
  });

  it("refuses a total noise multiplier the count alone would exceed", () => {
    const clipping = new AdaptiveClipping({ initialClipNorm: 1, countNoiseStddev: 0.5, expectedClients: 100 });
    expect(() => clipping.updateNoiseMultiplier(1.5)).toThrow(/totalNoiseMultiplier/);
  });

  it("persists its state exactly", () => {
    const clipping = new AdaptiveClipping({ initialClipNorm: 2, countNoiseStddev: 3, expectedClients: 50 });
    clipping.update(30, 50);
    const restored = AdaptiveClipping.fromJSON(JSON.parse(JSON.stringify(clipping)));
    expect(restored.toJSON()).toEqual(clipping.toJSON());
    expect(restored.clipNorm).toBe(clipping.clipNorm);
  });
});
