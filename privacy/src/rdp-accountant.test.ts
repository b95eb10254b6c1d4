import { describe, expect, it } from "vitest";
import { RdpAccountant } from "./rdp-accountant.js";
import { deltaFromRdp, epsilonFromRdp } from "./rdp-conversion.js";
import { DEFAULT_RDP_ORDERS, OPACUS_RDP_ORDERS, TF_PRIVACY_RDP_ORDERS } from "./rdp-orders.js";
import { subsampledGaussianRdp, subsampledGaussianRdpVector } from "./rdp-subsampled-gaussian.js";

/** |actual/expected − 1| <= 0.1% (the acceptance), or tighter where given. */
function expectRelative(actual: number, expected: number, tolerance = 1e-3): void {
  expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(tolerance);
}

/**
 * Independent reference: A_α − 1 = ∫ φ_σ(z)·[(1 − q + q·e^{(2z−1)/(2σ²)})^α − 1] dz by the composite Simpson rule
 * on a fine grid wide enough to hold the integrand's peak (near z = α for large α), written with expm1/log1p so
 * that tiny values keep their relative precision.
 */
function logAByQuadrature(q: number, sigma: number, alpha: number): number {
  const lo = -30 * sigma;
  const hi = Math.max(1, alpha) + 30 * sigma;
  const n = 400_000;
  const step = (hi - lo) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const z = lo + i * step;
    const a = (2 * z - 1) / (2 * sigma * sigma);
    const logRatio = a > 0 ? a + Math.log(q + (1 - q) * Math.exp(-a)) : Math.log1p(q * Math.expm1(a));
    const logDensity = -(z * z) / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI));
    const exponent = alpha * logRatio;
    const value =
      exponent > 1
        ? Math.exp(logDensity + exponent) - Math.exp(logDensity)
        : Math.exp(logDensity) * Math.expm1(exponent);
    const weight = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    sum += weight * value;
  }
  return Math.log1p((sum * step) / 3);
}

describe("RDP of the Poisson-subsampled Gaussian", () => {
  it("matches TensorFlow Privacy's published RDP sequence", () => {
    // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp_sequence:
    // compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, inf]) = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307, inf]
    const rdp = subsampledGaussianRdpVector(0.01, 2.5, [1.5, 2.5, 5, 50, 100, Number.POSITIVE_INFINITY]);
    const expected = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
    expected.forEach((value, k) => {
      expectRelative(50 * (rdp[k] as number), value);
    });
    expect(rdp[5]).toBe(Number.POSITIVE_INFINITY);
  });

  it("matches TensorFlow Privacy's scalar and no-sampling values", () => {
    // rdp_accountant_test.py: test_compute_rdp_scalar compute_rdp(0.1, 2, 10, 5) = 0.07737 (5 places) and
    // test_compute_rdp_no_sampling compute_rdp(1, 10, 1, 20) = 0.1, test_compute_rdp_no_data compute_rdp(0, 10, 1, 20) = 0.
    expect(10 * subsampledGaussianRdp(0.1, 2, 5)).toBeCloseTo(0.07737, 5);
    expect(subsampledGaussianRdp(1, 10, 20)).toBe(0.1);
    expect(subsampledGaussianRdp(0, 10, 20)).toBe(0);
  });

  it("reproduces dp_accounting's values, which sum |binomial| terms at fractional orders (an upper bound)", () => {
    // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
    // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, σ = 2.5, count 50, rtol 1e-4.
    const orders = [1.5, 2.5, 5, 50, 100];
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    const absolute = subsampledGaussianRdpVector(0.01, 2.5, orders, "absolute");
    expected.forEach((value, k) => {
      expectRelative(50 * (absolute[k] as number), value, 1e-4);
    });
    // The signed (exact) series gives TensorFlow Privacy's 0.00065 at α = 1.5 instead: 3% lower. Only the
    // fractional orders whose series has negative terms differ (2.5 barely, integers not at all).
    const signed = subsampledGaussianRdpVector(0.01, 2.5, orders);
    expectRelative(50 * (signed[0] as number), 0.00065, 2e-4);
    expect(signed[0] as number).toBeLessThan((absolute[0] as number) * 0.97);
    expect(signed[2]).toBe(absolute[2]);
  });

  // The (q, σ, α) of test_compute_log_a_equals_mp in rdp_accountant_test.py (TF Privacy) and
  // rdp_privacy_accountant_test.py (dp_accounting), whose reference is a multi-precision integral; ours is a
  // float64 Simpson integral.
  it.each([
    [1e-4, 1, 1.5],
    [1e-3, 1, 2],
    [0.01, 10, 20],
    [0.1, 100, 20.5],
    [1e-6, 1, 27],
    [0.01, 2.5, 1.5],
    [0.04, 1.5, 3.9],
    [0.2, 0.5, 1.25],
    [0.01, 0.35, 1.7],
  ])("computes log A_α exactly for q=%s σ=%s α=%s (checked against numerical integration)", (q, sigma, alpha) => {
    const logA = subsampledGaussianRdp(q, sigma, alpha) * (alpha - 1);
    expectRelative(logA, logAByQuadrature(q, sigma, alpha), 1e-6);
  });
});

describe("RDP → (ε, δ) conversion", () => {
  it("matches dp_accounting's hand-computed pure-DP case, both ways", () => {
    // rdp_privacy_accountant_test.py test_compute_epsilon_delta_pure_dp: orders 2..32, RDP 1.1 everywhere.
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const rdp = orders.map(() => 1.1);
    const { epsilon, order } = epsilonFromRdp(orders, rdp, 1e-5);
    expect(epsilon).toBeCloseTo(1.32783806176, 10);
    expect(order).toBe(32);
    const back = deltaFromRdp(orders, rdp, 1.32783806176);
    expect(back.delta).toBeCloseTo(1e-5, 12);
    expect(back.order).toBe(32);
  });

  it("gives exactly (1, 1e-6) for the Gaussian calibrated to it, both ways", () => {
    // rdp_privacy_accountant_test.py test_compute_epsilon_delta_gaussian: q = 1, σ = 4.530877117, orders
    // 0.001·i for i in [1000, 100000) (order 1 itself excluded: conversions need α > 1).
    const orders = Array.from({ length: 98_999 }, (_, i) => 0.001 * (i + 1001));
    const rdp = subsampledGaussianRdpVector(1, 4.530877117, orders);
    expect(epsilonFromRdp(orders, rdp, 1e-6).epsilon).toBeCloseTo(1, 6);
    expect(deltaFromRdp(orders, rdp, 1).delta).toBeCloseTo(1e-6, 12);
  });
});

describe("RdpAccountant", () => {
  it("reproduces Opacus's RDPAccountant test value", () => {
    // pytorch/opacus opacus/tests/accountants_test.py test_rdp_accountant: σ = 1.5, q = 0.04,
    // steps = int(90 / 0.04), δ = 1e-5 → 7.32911117143 (Opacus DEFAULT_ALPHAS).
    const accountant = new RdpAccountant({ orders: OPACUS_RDP_ORDERS });
    for (let i = 0; i < Math.trunc(90 / 0.04); i++) accountant.step(1.5, 0.04);
    const { epsilon, order } = accountant.getEpsilon(1e-5);
    expectRelative(epsilon, 7.32911117143, 1e-9);
    expect(order).toBe(3.9);
  });

  // tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py (current version, via
  // dp_accounting's improved conversion): (n, batch, σ, epochs, δ) → (ε, order), q = batch/n, steps = ⌈epochs·n/batch⌉.
  it.each([
    [60_000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    [100_000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    [100_000_000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25],
  ])(
    "reproduces TF Privacy compute_dp_sgd_privacy(n=%s, batch=%s, σ=%s, epochs=%s, δ=%s)",
    (n, batch, sigma, epochs, delta, eps, order) => {
      const accountant = new RdpAccountant({ orders: TF_PRIVACY_RDP_ORDERS });
      accountant.step(sigma, batch / n, Math.ceil((epochs * n) / batch));
      const result = accountant.getEpsilon(delta);
      expectRelative(result.epsilon, eps, 1e-9);
      expect(result.order).toBe(order);
    },
  );

  // The same file's 2019 version (classic conversion ε = RDP − log δ/(α − 1)).
  it.each([
    [60_000, 150, 1.3, 15, 1e-5, 0.941870567, 19],
    [100_000, 100, 1.0, 30, 1e-7, 1.70928734, 13],
    [100_000_000, 1024, 0.1, 10, 1e-7, 5907984.81339406, 1.25],
  ])(
    "reproduces the 2019 (classic conversion) value for n=%s, batch=%s",
    (n, batch, sigma, epochs, delta, eps, order) => {
      const accountant = new RdpAccountant({ orders: TF_PRIVACY_RDP_ORDERS });
      accountant.step(sigma, batch / n, Math.ceil((epochs * n) / batch));
      const result = accountant.getEpsilon(delta, "classic");
      expectRelative(result.epsilon, eps, 1e-8);
      expect(result.order).toBe(order);
    },
  );

  it("composes heterogeneous steps as TF Privacy's test_check_composition (classic conversion)", () => {
    // rdp_accountant_test.py test_check_composition: q = 1e-4, σ = 0.4, 40000 steps, then q = 0.1, σ = 2, 100
    // steps; old conversion gave ε = 8.509656 at order 2.5 (δ = 1e-5); the improved one must not exceed it.
    const orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
    const accountant = new RdpAccountant({ orders }).step(0.4, 1e-4, 40_000).step(2, 0.1, 100);
    const classic = accountant.getEpsilon(1e-5, "classic");
    expect(classic.epsilon).toBeCloseTo(8.509656, 5);
    expect(classic.order).toBe(2.5);
    expect(accountant.getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(8.509656);
  });

  // tensorflow/privacy compute_dp_sgd_privacy_test.py test_compute_dp_sgd_example_privacy (RDP rows): 1.2 epochs,
  // σ = 0.7 (halved with microbatching), δ = 1e-5, count = ⌈1.2/q⌉ with Poisson q = 0.01, or ⌈1.2⌉ unsampled;
  // dp_accounting RdpAccountant() with its default orders, whose fractional orders use the |binomial| sum.
  it.each([
    [0.7, 0.01, 120, 3.2392676],
    [0.35, 0.01, 120, 22.6248601],
    [0.7, 1, 2, 10.8602036],
    [0.35, 1, 2, 26.2880374],
  ])("reproduces dp_accounting's example-level ε for σ=%s q=%s count=%s", (sigma, q, count, eps) => {
    const compatible = new RdpAccountant({ fractionalSeries: "absolute" }).step(sigma, q, count);
    expectRelative(compatible.getEpsilon(1e-5).epsilon, eps, 1e-6);
    // Our default (exact) series can only be tighter.
    expect(new RdpAccountant().step(sigma, q, count).getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(eps * (1 + 1e-9));
  });

  it("uses dp_accounting's default grid by default", () => {
    expect(DEFAULT_RDP_ORDERS.length).toBe(99 + 53 + 4);
    expect(new RdpAccountant().orders).toEqual(DEFAULT_RDP_ORDERS);
  });

  it("is consistent between getEpsilon and getDelta (dp_accounting test_epsilon_delta_consistency)", () => {
    const orders = Array.from({ length: 48 }, (_, i) => i + 2);
    for (const q of [0.01, 0.1, 0.8, 1]) {
      for (const sigma of [0.1, 1, 10, 100]) {
        const accountant = new RdpAccountant({ orders }).step(sigma, q);
        for (const delta of [0.9, 0.1, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const { epsilon } = accountant.getEpsilon(delta);
          const back = accountant.getDelta(epsilon).delta;
          if (epsilon === 0) expect(back).toBeLessThanOrEqual(delta);
          else expect(Math.abs(back - delta)).toBeLessThanOrEqual(delta * 1e-9);
        }
      }
    }
  });

  it("reports ε = 0 before any step and ε = ∞ for σ = 0", () => {
    expect(new RdpAccountant().getEpsilon(1e-5).epsilon).toBe(0);
    expect(new RdpAccountant().step(0, 0.1).getEpsilon(1e-5).epsilon).toBe(Number.POSITIVE_INFINITY);
  });

  it("serialises and restores exactly, including through JSON text", () => {
    const accountant = new RdpAccountant({ orders: OPACUS_RDP_ORDERS }).step(1.1, 0.01, 700).step(0.9, 0.02, 5);
    accountant.step(1.1, 0.01, 300);
    const restored = RdpAccountant.fromJSON(JSON.parse(JSON.stringify(accountant)));
    expect(restored.toJSON()).toEqual(accountant.toJSON());
    expect(restored.getEpsilon(1e-5)).toEqual(accountant.getEpsilon(1e-5));
    expect(restored.steps).toBe(1005);
    expect(() => RdpAccountant.fromJSON({ ...accountant.toJSON(), orders: [0.5] })).toThrow(/orders/);
  });
});
