import { describe, expect, it } from "vitest";
import { type Game, leaveOneOutByDefinition, shapleyByPermutations } from "../../test-support/exact-shapley.js";
import { fedAvgSubsetUtility } from "./fed-avg-subset-utility.js";
import { gtgShapley } from "./gtg-shapley.js";
import { leaveOneOut } from "./leave-one-out.js";
import { normaliseScores } from "./normalise-scores.js";
import { scoresToFixed18 } from "./scores-to-fixed18.js";

/**
 * A round on a quadratic validation loss L(w) = ½‖w − w*‖²: five honest trainers send deltas that move the global
 * model part of the way towards w* (with noise), one attacker sends an honest-looking delta with its sign flipped.
 * The utility is −L(global + FedAvg(coalition's deltas)). Exact Shapley values come from enumerating all 720
 * orders with a float64 model built in the test, independently of the package's FedAvg.
 */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const length = 64;
const next = random(31);
const target = Float64Array.from({ length }, () => next() * 2 - 1);
const global = Float32Array.from(target, (t) => t + (next() * 2 - 1) * 0.5);
const steps = [0.5, 0.8, 0.65, 0.9, 0.7, 0.75];
const numExamples = [100, 200, 150, 120, 80, 150];
const FLIPPED = 5;
const deltas = steps.map((step, k) =>
  Float32Array.from(global, (g, i) => {
    const honest = step * ((target[i] as number) - g) + (next() * 2 - 1) * 0.02;
    return k === FLIPPED ? -honest : honest;
  }),
);

function loss(weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += ((weights[i] as number) - (target[i] as number)) ** 2;
  return sum / 2;
}

const referenceGame: Game = (members) => {
  const total = members.reduce((sum, k) => sum + (numExamples[k] as number), 0);
  const model = Array.from(global, (g, i) => {
    if (members.length === 0) return g;
    let sum = 0;
    for (const k of members) sum += (numExamples[k] as number) * ((deltas[k] as Float32Array)[i] as number);
    return g + sum / total;
  });
  return -loss(model);
};

const utility = fedAvgSubsetUtility({ global, deltas, numExamples, evaluate: (weights) => -loss(weights) });
const n = deltas.length;
/** How far the package's float32 models may move a utility from the float64 reference. */
const FLOAT32_SLACK = 1e-5;

function lowest(scores: ArrayLike<number>): number {
  return Array.from(scores).reduce((best, value, i, all) => (value < (all[best] as number) ? i : best), 0);
}

describe("contribution scoring of a FedAvg round with a sign-flipping attacker", () => {
  const exact = shapleyByPermutations(n, referenceGame);

  it("exact Shapley values rank the attacker last, below zero, and honest trainers above zero", () => {
    expect(lowest(exact.values)).toBe(FLIPPED);
    expect(exact.values[FLIPPED]).toBeLessThan(0);
    exact.values.forEach((value, k) => {
      if (k !== FLIPPED) expect(value).toBeGreaterThan(0);
    });
  });

  it("GTG-Shapley is within 4σ/√T of the exact values, ranks the attacker last, and pays it nothing", async () => {
    const result = await gtgShapley(n, utility, { withinRoundTruncation: 0, tolerance: 0, maxPermutations: 600 });
    result.scores.forEach((value, k) => {
      const bound = 4 * Math.sqrt((exact.variances[k] as number) / result.permutations) + FLOAT32_SLACK;
      expect(Math.abs(value - (exact.values[k] as number))).toBeLessThanOrEqual(bound);
    });
    expect(result.evaluations).toBeLessThanOrEqual(2 ** n);
    expect(lowest(result.scores)).toBe(FLIPPED);

    const shares = normaliseScores(result.scores);
    expect(shares[FLIPPED]).toBe(0);
    const fixed = scoresToFixed18(shares);
    expect(fixed[FLIPPED]).toBe(0n);
    expect(fixed.reduce((a, b) => a + b, 0n)).toBe(10n ** 18n);
  });

  it("GTG-Shapley with its default truncation and stopping rule still ranks the attacker last", async () => {
    // The attacker's large negative marginals make this game noisy: about 1,500 permutations reach the 5 % tolerance.
    const result = await gtgShapley(n, utility, { seed: 2022, maxPermutations: 5000 });
    expect(result.converged).toBe(true);
    expect(result.roundTruncated).toBe(false);
    expect(lowest(result.scores)).toBe(FLIPPED);
    expect(result.scores[FLIPPED]).toBeLessThan(0);
    expect(normaliseScores(result.scores)[FLIPPED]).toBe(0);
  });

  it("leave-one-out matches its definition and also gives the attacker nothing", async () => {
    const result = await leaveOneOut(n, utility);
    const expected = leaveOneOutByDefinition(n, referenceGame);
    result.scores.forEach((value, k) => {
      expect(Math.abs(value - (expected[k] as number))).toBeLessThanOrEqual(FLOAT32_SLACK);
    });
    expect(result.evaluations).toBe(n + 1);
    expect(lowest(result.scores)).toBe(FLIPPED);
    expect(normaliseScores(result.scores)[FLIPPED]).toBe(0);
  });

  it("a trainer rejected before aggregation scores exactly 0 beside the scored ones", async () => {
    const result = await gtgShapley(n, utility, { seed: 1 });
    // Seven trainers answered; the seventh was rejected (e.g. by the norm bound) and never entered the game.
    const raw = [...result.scores, 1e6];
    const shares = normaliseScores(raw, { rejected: [n] });
    expect(shares[n]).toBe(0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(scoresToFixed18(shares)[n]).toBe(0n);
  });
});
