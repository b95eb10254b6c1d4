import { describe, expect, it } from "vitest";
import { calibrateNoiseMultiplier } from "./calibrate-noise-multiplier.js";
import { InvalidPrivacyParameterError } from "./errors.js";
import { PrvAccountant } from "./prv-accountant.js";
import { RdpAccountant } from "./rdp-accountant.js";
import { OPACUS_RDP_ORDERS, TF_PRIVACY_RDP_ORDERS } from "./rdp-orders.js";

describe("calibrateNoiseMultiplier", () => {
  // tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_noise_from_budget_test.py (2019 version, classic
  // RDP conversion, orders of compute_noise_from_budget_lib.py): (n, batch, target ε, epochs, δ) → σ.
  it.each([
    [60_000, 150, 0.941870567, 15, 1e-5, 1.3],
    [100_000, 100, 1.70928734, 30, 1e-7, 1.0],
    [100_000_000, 1024, 5907984.81339406, 10, 1e-7, 0.1],
  ])("reproduces TF Privacy compute_noise(n=%s, batch=%s, ε=%s)", (n, batch, targetEpsilon, epochs, delta, sigma) => {
    const result = calibrateNoiseMultiplier({
      targetEpsilon,
      sampleRate: batch / n,
      steps: Math.ceil((epochs * n) / batch),
      delta,
      orders: TF_PRIVACY_RDP_ORDERS,
      conversion: "classic",
    });
    expect(Math.abs(result / sigma - 1)).toBeLessThan(1e-6);
  });

  // pytorch/opacus opacus/tests/accountants_test.py test_get_noise_multiplier_rdp_epochs / _steps: ε = 8, δ = 1e-5,
  // q = 0.04, 90 epochs (2250 steps) → 1.416 and 2000 steps → 1.3562 (4 places). Opacus stops its bisection once ε
  // is within 0.01 of the target and returns the upper end, so its σ is slightly above the smallest one we find.
  it.each([
    [Math.trunc(90 / 0.04), 1.416],
    [2000, 1.3562],
  ])("agrees with Opacus get_noise_multiplier to 0.1%% for %s steps", (steps, sigma) => {
    const result = calibrateNoiseMultiplier({
      targetEpsilon: 8,
      sampleRate: 0.04,
      steps,
      delta: 1e-5,
      orders: OPACUS_RDP_ORDERS,
    });
    expect(Math.abs(result / sigma - 1)).toBeLessThan(1e-3);
    expect(result).toBeLessThanOrEqual(sigma);
  });

  it("returns the smallest σ that reaches the target", () => {
    const target = { targetEpsilon: 3, sampleRate: 0.01, steps: 5000, delta: 1e-5 };
    const sigma = calibrateNoiseMultiplier(target);
    const epsilonAt = (s: number) => new RdpAccountant().step(s, 0.01, 5000).getEpsilon(1e-5).epsilon;
    expect(epsilonAt(sigma)).toBeLessThanOrEqual(3);
    expect(epsilonAt(sigma * (1 - 1e-6))).toBeGreaterThan(3);
  });

  it("calibrates with the PRV accountant to a smaller σ than RDP", () => {
    const target = { targetEpsilon: 2, sampleRate: 0.02, steps: 1000, delta: 1e-5 };
    const prv = calibrateNoiseMultiplier({ ...target, accountant: "prv", relativeTolerance: 1e-4 });
    const rdp = calibrateNoiseMultiplier(target);
    expect(prv).toBeLessThan(rdp);
    expect(new PrvAccountant({ gridSize: 2 ** 16 }).step(prv, 0.02, 1000).getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(
      2,
    );
  });

  it("rejects bad arguments by name", () => {
    const good = { targetEpsilon: 1, sampleRate: 0.01, steps: 100, delta: 1e-5 };
    expect(() => calibrateNoiseMultiplier({ ...good, sampleRate: 1.5 })).toThrow(/sampleRate/);
    expect(() => calibrateNoiseMultiplier({ ...good, delta: 1 })).toThrow(/delta/);
    expect(() => calibrateNoiseMultiplier({ ...good, targetEpsilon: -1 })).toThrow(InvalidPrivacyParameterError);
    expect(() => calibrateNoiseMultiplier({ ...good, steps: 0 })).toThrow(/steps/);
  });
});
