import { randomFillSync } from "node:crypto";
import { describe, expect, it } from "vitest";
// Everything through the package's public entry point: this is what trainers and the coordinator import.
import {
  equalPerLayerClipNorms,
  GaussianNoise,
  layerSegments,
  PrivacyBudgetExceededError,
  PrivacyBudgetLedger,
  privateGradientSum,
  SecureRandom,
  UnknownDatasetBudgetError,
} from "./index.js";

describe("PrivacyBudgetLedger", () => {
  it("spends DP-SGD steps until the owner's budget would be exceeded, then refuses", () => {
    // Opacus accountants_test.py: σ = 1.5, q = 0.04, 2250 steps spend ε = 7.32911 at δ = 1e-5 (Opacus orders; our
    // default grid contains those orders and more, so it can only be as low or lower).
    const ledger = new PrivacyBudgetLedger();
    ledger.register("42", { epsilon: 7.33, delta: 1e-5 });
    const spent = ledger.spendGaussianSteps("42", { noiseMultiplier: 1.5, sampleRate: 0.04, count: 2250 });
    expect(spent.epsilon).toBeLessThanOrEqual(7.32911117143 * (1 + 1e-9));
    expect(spent.epsilon).toBeGreaterThan(7.32911117143 * (1 - 1e-3));
    expect(ledger.spent("42")).toEqual(spent);
    // 100 more steps would cross 7.33: refused, and nothing is recorded.
    expect(() => ledger.spendGaussianSteps("42", { noiseMultiplier: 1.5, sampleRate: 0.04, count: 100 })).toThrow(
      PrivacyBudgetExceededError,
    );
    expect(ledger.spent("42")).toEqual(spent);
    expect(ledger.remaining("42").epsilon).toBeCloseTo(7.33 - spent.epsilon, 12);
  });

  it("adds other mechanisms by basic composition", () => {
    const ledger = new PrivacyBudgetLedger();
    ledger.register("7", { epsilon: 2, delta: 1e-5 });
    ledger.spendEpsilonDelta("7", { epsilon: 0.5, delta: 0 });
    ledger.spendEpsilonDelta("7", { epsilon: 0.25, delta: 0 });
    expect(ledger.spent("7").epsilon).toBe(0.75);
    expect(() => ledger.spendEpsilonDelta("7", { epsilon: 1.5, delta: 0 })).toThrow(PrivacyBudgetExceededError);
    expect(() => ledger.spendEpsilonDelta("7", { epsilon: 0, delta: 2e-5 })).toThrow(PrivacyBudgetExceededError);
    expect(ledger.spent("7").epsilon).toBe(0.75);
  });

  it("refuses unknown datasets and budgets below what was spent", () => {
    const ledger = new PrivacyBudgetLedger();
    expect(() => ledger.spendEpsilonDelta("9", { epsilon: 0.1, delta: 0 })).toThrow(UnknownDatasetBudgetError);
    ledger.register("9", { epsilon: 1, delta: 1e-6 });
    ledger.spendEpsilonDelta("9", { epsilon: 0.8, delta: 0 });
    expect(() => ledger.register("9", { epsilon: 0.5, delta: 1e-6 })).toThrow(PrivacyBudgetExceededError);
    ledger.register("9", { epsilon: 2, delta: 1e-6 });
    expect(ledger.remaining("9").epsilon).toBeCloseTo(1.2, 12);
  });

  it("keeps what each label (job) spent on its own, across spends and a restore", () => {
    // Opacus accountants_test.py: σ = 1.5, q = 0.04, 2250 steps spend ε = 7.32911 at δ = 1e-5.
    const opacus = 7.32911117143;
    const ledger = new PrivacyBudgetLedger();
    ledger.register("3", { epsilon: 20, delta: 1e-5 });
    const steps = { noiseMultiplier: 1.5, sampleRate: 0.04, count: 1125 };
    ledger.spendGaussianSteps("3", steps, "job-a");
    ledger.spendGaussianSteps("3", steps, "job-a");
    ledger.spendGaussianSteps("3", { ...steps, count: 2250 }, "job-b");
    const restored = PrivacyBudgetLedger.fromJSON(JSON.parse(JSON.stringify(ledger)));
    const byLabel = restored.spentByLabel("3");
    expect(byLabel.map(({ label, spends }) => [label, spends])).toEqual([
      ["job-a", 2],
      ["job-b", 1],
    ]);
    for (const spent of byLabel) {
      expect(spent.delta).toBe(1e-5);
      expect(spent.epsilon).toBeLessThanOrEqual(opacus * (1 + 1e-9));
      expect(spent.epsilon).toBeGreaterThan(opacus * (1 - 1e-3));
    }
    // The dataset's total composes all 4500 steps: more than one job's, less than their sum (RDP is subadditive).
    const total = restored.spent("3").epsilon;
    expect(total).toBeGreaterThan(opacus);
    expect(total).toBeLessThan(2 * opacus * (1 - 1e-3));
  });

  it("reads a ledger written before labels (no per-label entries)", () => {
    const state = {
      version: 1,
      accountant: "rdp",
      datasets: { "4": { budget: { epsilon: 8, delta: 1e-5 }, gaussian: [], other: [] } },
    };
    const ledger = PrivacyBudgetLedger.fromJSON(state);
    expect(ledger.spentByLabel("4")).toEqual([]);
    ledger.spendGaussianSteps("4", { noiseMultiplier: 1.5, sampleRate: 0.04, count: 10 });
    expect(ledger.spentByLabel("4")).toEqual([]);
  });

  it("serialises and restores exactly", () => {
    const ledger = new PrivacyBudgetLedger();
    ledger.register("1", { epsilon: 5, delta: 1e-5 });
    ledger.spendGaussianSteps("1", { noiseMultiplier: 1.1, sampleRate: 0.01, count: 500 });
    ledger.spendGaussianSteps("1", { noiseMultiplier: 1.1, sampleRate: 0.01, count: 500 });
    ledger.spendEpsilonDelta("1", { epsilon: 0.1, delta: 1e-7 });
    const restored = PrivacyBudgetLedger.fromJSON(JSON.parse(JSON.stringify(ledger)));
    expect(restored.toJSON()).toEqual(ledger.toJSON());
    expect(restored.spent("1")).toEqual(ledger.spent("1"));
    expect(ledger.toJSON().datasets["1"]?.gaussian).toEqual([{ noiseMultiplier: 1.1, sampleRate: 0.01, count: 1000 }]);
  });
});

describe("privateGradientSum (end to end through the public API)", () => {
  function countingNoise() {
    const counter = { fills: 0 };
    const random = new SecureRandom({
      fill: (buffer) => {
        counter.fills++;
        randomFillSync(buffer);
      },
    });
    return { noise: new GaussianNoise(random), counter };
  }

  it("spends, reads, clips and noises a step within budget", () => {
    const ledger = new PrivacyBudgetLedger();
    ledger.register("3", { epsilon: 10, delta: 1e-5 });
    const { noise, counter } = countingNoise();
    const out = new Float32Array(50);
    let reads = 0;
    const result = privateGradientSum({
      ledger,
      datasetId: "3",
      noiseMultiplier: 1.0,
      sampleRate: 0.01,
      clipping: 1,
      loadGradients: () => {
        reads++;
        return { perExample: new Float32Array(4 * 50).fill(1), numExamples: 4 };
      },
      out,
      noise,
    });
    expect(reads).toBe(1);
    expect(counter.fills).toBeGreaterThan(0);
    expect(result.clippedCount).toBe(4);
    expect(result.spent.epsilon).toBeGreaterThan(0);
    expect(ledger.spent("3")).toEqual(result.spent);
    expect(out.some((v) => v !== 0)).toBe(true);
  });

  it("refuses a step past the budget before reading any data or drawing any noise", () => {
    const ledger = new PrivacyBudgetLedger();
    ledger.register("5", { epsilon: 0.5, delta: 1e-5 });
    const { noise, counter } = countingNoise();
    const layout = [
      { name: "w", shape: [4, 4] },
      { name: "b", shape: [4] },
    ];
    let reads = 0;
    const out = new Float32Array(20).fill(7);
    const request = {
      ledger,
      datasetId: "5",
      noiseMultiplier: 0.5, // one unsampled step at σ = 0.5 costs far more than ε = 0.5
      sampleRate: 1,
      clipping: { segments: layerSegments(layout), clipNorms: equalPerLayerClipNorms(1, 2) },
      loadGradients: () => {
        reads++;
        return { perExample: new Float32Array(20), numExamples: 1 };
      },
      out,
      noise,
    };
    expect(() => privateGradientSum(request)).toThrow(PrivacyBudgetExceededError);
    expect(reads).toBe(0);
    expect(counter.fills).toBe(0);
    expect(Array.from(out)).toEqual(new Array(20).fill(7));
    expect(ledger.spent("5").epsilon).toBe(0);
  });
});

describe("PrivacyBudgetLedger with the PRV accountant", () => {
  it("charges less ε than the RDP ledger for the same steps", () => {
    const steps = { noiseMultiplier: 1.1, sampleRate: 0.01, count: 1000 };
    const rdp = new PrivacyBudgetLedger();
    const prv = new PrivacyBudgetLedger({ accountant: "prv" });
    for (const ledger of [rdp, prv]) ledger.register("1", { epsilon: 10, delta: 1e-5 });
    const viaRdp = rdp.spendGaussianSteps("1", steps).epsilon;
    const viaPrv = prv.spendGaussianSteps("1", steps).epsilon;
    expect(viaPrv).toBeLessThan(viaRdp);
    expect(PrivacyBudgetLedger.fromJSON(JSON.parse(JSON.stringify(prv))).spent("1").epsilon).toBe(viaPrv);
  });
});
