import { describe, expect, it } from "vitest";
import { random } from "../../test-support/random.js";
import { InvalidUpdateError } from "../errors.js";
import { fedAvg } from "../fed-avg/fed-avg.js";
import { bulyan } from "./bulyan.js";
import { coordinateMedian } from "./coordinate-median.js";
import { krum, multiKrum } from "./krum.js";
import { trimmedMean } from "./trimmed-mean.js";
import { validateUpdate } from "./validate-update.js";

/**
 * The papers' robustness property, checked on realistic updates: n = 20 trainers, f = 4 of them adversarial.
 * Honest update k = μ + ε_k with μ_i uniform in [−1, 1] and ε_k,i uniform in [−σ, σ], σ = 0.01, so every honest
 * value lies in [μ_i − σ, μ_i + σ]. Bounds that follow from the definitions (no tuning):
 * - median (f < n/2), trimmed mean (trim = f), Krum and Multi-Krum choosing honest vectors: each output
 *   coordinate lies in the honest range, so |out_i − μ_i| ≤ σ;
 * - Bulyan: the median lies in the honest range and each of the β values closest to it is no farther from it than
 *   the honest values it displaces (at most 2σ), so |out_i − μ_i| ≤ 3σ.
 * Plain FedAvg must fail the same check, which shows the attacks have teeth.
 */
const n = 20;
const f = 4;
const length = 2000;
const sigma = 0.01;

const next = random(2018);
const mu = Float64Array.from({ length }, () => next() * 2 - 1);
const honest = Array.from({ length: n - f }, () => Float32Array.from(mu, (m) => m + (next() * 2 - 1) * sigma));

const attacks: Record<string, (honestUpdate: Float32Array, k: number) => Float32Array> = {
  "sign-flipped": (x) => x.map((value) => -value),
  "scaled ×100": (x) => x.map((value) => value * 100),
  random: () => Float32Array.from({ length }, () => (next() * 2 - 1) * 100),
  // A crafted attack on the mean: every adversary sends the same vector pushing every coordinate the same way.
  "colluding shift": () => Float32Array.from(mu, (m) => m + 50),
};

/** Largest |out_i − μ_i| (computed in float64 against the float64 μ). */
function deviation(out: Float32Array): number {
  let max = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, Math.abs((out[i] as number) - (mu[i] as number)));
  return max;
}

/** σ plus float32 rounding of values of magnitude ≤ 1 + σ. */
const tolerance = sigma + 2 ** -22;

describe.each(Object.entries(attacks))("with %s adversaries", (_, attack) => {
  // Adversaries sit at scattered positions, so no rule can win by position.
  const inputs: Float32Array[] = honest.slice();
  for (let k = 0; k < f; k++) inputs.splice(3 + 4 * k, 0, attack(honest[k] as Float32Array, k));
  const adversarial = new Set([3, 7, 11, 15]);

  it("plain FedAvg is pulled away from the honest mean", () => {
    const mean = fedAvg(inputs.map((weights) => ({ weights, numExamples: 100 })));
    expect(deviation(mean)).toBeGreaterThan(10 * tolerance);
  });

  it("coordinate median stays within σ of the honest mean", () => {
    expect(deviation(coordinateMedian(inputs))).toBeLessThanOrEqual(tolerance);
  });

  it("trimmed mean (trim = f) stays within σ", () => {
    expect(deviation(trimmedMean(inputs, f))).toBeLessThanOrEqual(tolerance);
  });

  it("Krum picks an honest vector and Multi-Krum averages only honest vectors", () => {
    const single = krum(inputs, f);
    expect(adversarial.has(single.selected[0] as number)).toBe(false);
    expect(deviation(single.aggregate)).toBeLessThanOrEqual(tolerance);
    const multi = multiKrum(inputs, f, n - f);
    expect(multi.selected.filter((index) => adversarial.has(index))).toEqual([]);
    expect(deviation(multi.aggregate)).toBeLessThanOrEqual(tolerance);
  });

  it("Bulyan stays within 3σ", () => {
    expect(deviation(bulyan(inputs, f).aggregate)).toBeLessThanOrEqual(3 * tolerance);
  });
});

describe("with NaN-poisoned adversaries", () => {
  const poisoned = honest.slice(0, f).map((x, k) => {
    const copy = x.slice();
    copy[100 * k + 5] = Number.NaN;
    return copy;
  });
  const inputs = [...honest, ...poisoned];

  it("every rule refuses the poisoned set instead of answering", () => {
    const rules: [string, () => unknown][] = [
      ["fedAvg", () => fedAvg(inputs.map((weights) => ({ weights, numExamples: 1 })))],
      ["median", () => coordinateMedian(inputs)],
      ["trimmedMean", () => trimmedMean(inputs, f)],
      ["krum", () => krum(inputs, f)],
      ["multiKrum", () => multiKrum(inputs, f, 3)],
      ["bulyan", () => bulyan(inputs, f)],
    ];
    for (const [, rule] of rules) expect(rule).toThrow(InvalidUpdateError);
  });

  it("validateUpdate rejects exactly the poisoned updates; the robust rules on the rest stay near the mean", () => {
    const accepted = inputs.filter((update) => {
      try {
        validateUpdate(update, { length });
        return true;
      } catch (error) {
        expect(error).toMatchObject({ reason: "non-finite" });
        return false;
      }
    });
    expect(accepted.length).toBe(n - f);
    expect(deviation(coordinateMedian(accepted))).toBeLessThanOrEqual(tolerance);
    expect(deviation(trimmedMean(accepted, 2))).toBeLessThanOrEqual(tolerance);
    expect(deviation(krum(accepted, 2).aggregate)).toBeLessThanOrEqual(tolerance);
    expect(deviation(bulyan(accepted, 3).aggregate)).toBeLessThanOrEqual(3 * tolerance);
  });
});
